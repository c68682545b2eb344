// verify with a signature stored as an OCI 1.1 referrer: the `.sig` tag first, then each cosign signature
// referrer, checked with the same Node-crypto code; the verdict says where the signature that verified was.
// Against a loopback server playing a registry with the referrers API (manifests and blobs by digest).
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signCopies, verifyDigest } from '../../../src/kinds/image-sync/verify.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from '../../../src/registry/cosign-signatures.js';
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  OCI_INDEX_MEDIA_TYPE,
  type ReferrersList,
} from '../../../src/registry/referrers.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const IMAGE = `sha256:${'ab'.repeat(32)}`;
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('verify with a cosign signature referrer', () => {
  const trusted = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, string>();
  const requests: string[] = [];
  let server: http.Server;
  let host: string;

  /** A signature referrer of IMAGE signed by `key`, stored; returns its digest. */
  function signatureReferrer(key: typeof trusted.privateKey): string {
    const payload = Buffer.from(
      JSON.stringify({
        critical: { image: { 'docker-manifest-digest': IMAGE }, type: 'cosign container image signature' },
      }),
    );
    blobs.set(sha(payload), payload);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
      config: { mediaType: COSIGN_SIGNATURE_ARTIFACT_TYPE, digest: sha('{}'), size: 2 },
      layers: [
        {
          mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
          digest: sha(payload),
          size: payload.length,
          annotations: { [SIGNATURE_ANNOTATION]: sign('sha256', payload, key).toString('base64') },
        },
      ],
      subject: { mediaType: MANIFEST, digest: IMAGE, size: 500 },
    });
    manifests.set(sha(manifest), manifest);
    return sha(manifest);
  }

  const list = (...digests: string[]): ReferrersList => ({
    via: 'api',
    referrers: digests.map((digest) => ({ digest, artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE })),
  });
  const client = () => new RegistryClient({ access: () => ({ tlsVerify: false }) });
  const source = () => ({ registry: host, repository: 'team/app' });

  before(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push(`${req.method} ${path}`);
      const ref = path.split('/').pop() ?? '';
      if (path.includes('/referrers/')) {
        const body = JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_INDEX_MEDIA_TYPE,
          manifests: [...manifests.keys()].map((digest) => ({
            mediaType: MANIFEST,
            digest,
            size: 1,
            artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
          })),
        });
        res.writeHead(200, { 'Content-Type': OCI_INDEX_MEDIA_TYPE }).end(body);
      } else if (path.includes('/manifests/') && manifests.has(ref)) {
        res
          .writeHead(200, { 'Content-Type': MANIFEST, 'Docker-Content-Digest': ref })
          .end(manifests.get(ref));
      } else if (path.includes('/blobs/') && blobs.has(ref)) {
        res.writeHead(200).end(blobs.get(ref));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    blobs.clear();
    manifests.clear();
    requests.length = 0;
  });

  it('verifies a referrer signed by the key, and says so (via referrer)', async () => {
    const bad = signatureReferrer(stranger.privateKey);
    const good = signatureReferrer(trusted.privateKey);
    const verdict = await verifyDigest(client(), source(), IMAGE, trusted.publicKey, [], list(bad, good));
    assert.equal(verdict.state, 'Verified');
    assert.equal(verdict.via, 'referrer');
    assert.equal(verdict.message, `referrer ${good}: signature 1 of 1 verifies`);
  });

  it('is a BadSignature with the reason of each referrer when none verifies', async () => {
    const bad = signatureReferrer(stranger.privateKey);
    const gone = `sha256:${'99'.repeat(32)}`;
    const verdict = await verifyDigest(client(), source(), IMAGE, trusted.publicKey, [], list(bad, gone));
    assert.equal(verdict.state, 'BadSignature');
    assert.equal(verdict.via, undefined);
    assert.equal(
      verdict.message,
      `referrer ${bad}: signature 1: does not verify with the public key; referrer ${gone}: not found`,
    );
  });

  it('is NotSigned without a .sig tag or a signature referrer (other referrers are no signature)', async () => {
    const sbom = {
      via: 'api' as const,
      referrers: [{ digest: sha('x'), artifactType: 'application/spdx+json' }],
    };
    const verdict = await verifyDigest(client(), source(), IMAGE, trusted.publicKey, [], sbom);
    assert.equal(verdict.state, 'NotSigned');
    assert.match(
      verdict.message,
      /^no sha256-[a-f0-9]{64}\.sig at the source, and no cosign signature among its referrers$/,
    );
    assert.deepEqual(requests, [], 'nothing read for an SBOM');
  });

  it('keeps the verified copy with its referrers to copy by digest, and drops the unverified', async () => {
    const good = signatureReferrer(trusted.privateKey);
    const signed = await signCopies(client(), source(), [{ sourceRef: 'v1', digest: IMAGE }], {
      key: trusted.publicKey,
      listed: new Set(['v1']),
      limit: 10,
    });
    assert.deepEqual(signed.pending, [{ sourceRef: 'v1', digest: IMAGE, referrers: [good] }]);
    assert.deepEqual(
      signed.verification?.map((v) => [v.state, v.via]),
      [['Verified', 'referrer']],
    );
    const refused = await signCopies(client(), source(), [{ sourceRef: 'v1', digest: IMAGE }], {
      key: stranger.publicKey,
      listed: new Set(['v1']),
      limit: 10,
    });
    assert.deepEqual(refused.pending, []);
    assert.equal(refused.verification?.[0]?.state, 'BadSignature');
  });
});
