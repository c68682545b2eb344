// cosign's tags beside an image and its key-based signatures, checked as `cosign verify --key` checks them,
// with key pairs made here by Node's crypto (cosign generate-key-pair makes ECDSA P-256 ones).
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  artifactTagsOf,
  cosignTag,
  digestTagStem,
  isArtifactTag,
  judgeSignatures,
  listedArtifactTags,
  MAX_SIGNATURES,
  parsePublicKey,
  payloadProblem,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureLayers,
  signatureValid,
} from '../../../src/registry/cosign-signatures.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OTHER = `sha256:${'cd'.repeat(32)}`;

/** A simple-signing payload as cosign writes it. */
function payloadFor(digest: string, type = 'cosign container image signature'): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': '127.0.0.1:5000/app' },
        image: { 'docker-manifest-digest': digest },
        type,
      },
      optional: null,
    }),
  );
}

function keyPair(type: 'ec' | 'rsa' | 'ed25519') {
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  return generateKeyPairSync('ed25519');
}

function signPayload(privateKey: KeyObject, payload: Buffer): string {
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return sign(algorithm, payload, privateKey).toString('base64');
}

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();

describe('cosign tags beside an image', () => {
  it('names them after the digest: sha256-<hex>.sig, .att, .sbom, then the referrers index sha256-<hex>', () => {
    const stem = `sha256-${'ab'.repeat(32)}`;
    assert.equal(digestTagStem(DIGEST), stem);
    assert.equal(cosignTag(DIGEST, 'sig'), `${stem}.sig`);
    assert.deepEqual(artifactTagsOf(DIGEST), [`${stem}.sig`, `${stem}.att`, `${stem}.sbom`, stem]);
  });

  it('refuses a text that is not a digest', () => {
    assert.throws(() => digestTagStem('latest'), /not a digest/);
  });

  it('keeps those a tag list holds, in copy order', () => {
    const listed = new Set(['v1', `sha256-${'ab'.repeat(32)}.att`, `sha256-${'ab'.repeat(32)}.sig`]);
    assert.deepEqual(listedArtifactTags(DIGEST, listed), [
      `sha256-${'ab'.repeat(32)}.sig`,
      `sha256-${'ab'.repeat(32)}.att`,
    ]);
  });

  it('tells them from image tags', () => {
    assert.ok(isArtifactTag(`sha256-${'ab'.repeat(32)}.sig`));
    assert.ok(isArtifactTag(`sha256-${'ab'.repeat(32)}`));
    assert.ok(!isArtifactTag('v1.2.3'));
    assert.ok(!isArtifactTag(`sha256-${'ab'.repeat(31)}.sig`));
    assert.ok(!isArtifactTag(`sha256-${'ab'.repeat(32)}.sig2`));
  });
});

describe('the signatures of a .sig manifest', () => {
  const layer = (annotations: Record<string, string>, mediaType = SIMPLE_SIGNING_MEDIA_TYPE) => ({
    mediaType,
    digest: DIGEST,
    size: 250,
    annotations,
  });

  it('are its simple-signing layers with a signature annotation', () => {
    const manifest = {
      layers: [
        layer({ [SIGNATURE_ANNOTATION]: 'c2ln' }),
        layer({}),
        layer({ [SIGNATURE_ANNOTATION]: 'c2ln' }, 'application/vnd.oci.image.layer.v1.tar'),
      ],
    };
    assert.deepEqual(signatureLayers(manifest), [{ digest: DIGEST, size: 250, signature: 'c2ln' }]);
  });

  it('are at most MAX_SIGNATURES', () => {
    const layers = Array.from({ length: MAX_SIGNATURES + 5 }, () =>
      layer({ [SIGNATURE_ANNOTATION]: 'c2ln' }),
    );
    assert.equal(signatureLayers({ layers }).length, MAX_SIGNATURES);
  });

  it('need a layer list', () => {
    assert.throws(() => signatureLayers({ manifests: [] }), /no layers/);
  });
});

describe('a signed payload', () => {
  it('must name the digest being copied', () => {
    assert.equal(payloadProblem(payloadFor(DIGEST), DIGEST), undefined);
    assert.match(payloadProblem(payloadFor(OTHER), DIGEST) ?? '', /is of sha256:cdcd.*not of sha256:abab/);
  });

  it("must be cosign's container image signature, in JSON", () => {
    assert.match(
      payloadProblem(payloadFor(DIGEST, 'something else'), DIGEST) ?? '',
      /not a "cosign container/,
    );
    assert.match(payloadProblem(Buffer.from('{not json'), DIGEST) ?? '', /not JSON/);
  });
});

describe('signature verification with the public key', () => {
  for (const type of ['ec', 'rsa', 'ed25519'] as const) {
    it(`verifies a ${type} signature of the payload, and refuses it over other bytes`, () => {
      const { privateKey, publicKey } = keyPair(type);
      const key = parsePublicKey(pem(publicKey));
      const payload = payloadFor(DIGEST);
      const signature = signPayload(privateKey, payload);
      assert.equal(signatureValid(key, payload, signature), true);
      assert.equal(signatureValid(key, payloadFor(OTHER), signature), false);
    });
  }

  it('refuses a signature made by another key', () => {
    const signer = keyPair('ec');
    const key = parsePublicKey(pem(keyPair('ec').publicKey));
    const payload = payloadFor(DIGEST);
    assert.equal(signatureValid(key, payload, signPayload(signer.privateKey, payload)), false);
  });

  it('refuses an empty or malformed signature without throwing', () => {
    const key = parsePublicKey(pem(keyPair('ec').publicKey));
    assert.equal(signatureValid(key, payloadFor(DIGEST), ''), false);
    assert.equal(signatureValid(key, payloadFor(DIGEST), 'bm90IGEgc2lnbmF0dXJl'), false);
  });

  it('reads only public keys, and never quotes the text it refuses', () => {
    const { privateKey } = keyPair('ec');
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(
      () => parsePublicKey(privatePem),
      (error: Error) => {
        assert.match(error.message, /private key: give the public key only/);
        assert.ok(!error.message.includes(privatePem.split('\n')[1]!));
        return true;
      },
    );
    assert.throws(() => parsePublicKey('not a key'), /is not a PEM public key/);
    const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).publicKey;
    assert.throws(() => parsePublicKey(pem(dsa)), /is a dsa key/);
  });
});

describe('the verdict on a digest', () => {
  const { privateKey, publicKey } = keyPair('ec');
  const key = parsePublicKey(pem(publicKey));
  const signed = (payload: Buffer, signer = privateKey) => ({
    digest: OTHER,
    size: payload.length,
    signature: signPayload(signer, payload),
    payload,
  });

  it('is Verified when one signature verifies and names the digest', () => {
    const stranger = keyPair('ec').privateKey;
    const verdict = judgeSignatures(DIGEST, key, [
      signed(payloadFor(DIGEST), stranger),
      signed(payloadFor(DIGEST)),
    ]);
    assert.deepEqual(verdict, { state: 'Verified', message: 'signature 2 of 2 verifies' });
  });

  it('is NotSigned when the .sig manifest holds no signature', () => {
    assert.equal(judgeSignatures(DIGEST, key, []).state, 'NotSigned');
  });

  it('is BadSignature, saying why for each, when none does', () => {
    const stranger = keyPair('ec').privateKey;
    const verdict = judgeSignatures(DIGEST, key, [
      signed(payloadFor(DIGEST), stranger),
      signed(payloadFor(OTHER)),
      { digest: OTHER, size: 10, signature: 'c2ln' },
    ]);
    assert.equal(verdict.state, 'BadSignature');
    assert.match(verdict.message, /signature 1: does not verify with the public key/);
    assert.match(verdict.message, /signature 2: the signature is of sha256:cdcd/);
    assert.match(verdict.message, /signature 3: payload sha256:cdcd\S+ not found/);
  });
});
