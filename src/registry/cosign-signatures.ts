/**
 * cosign's artifacts beside an image, and its key-based signatures, pure.
 *
 * cosign stores what it attaches to an image `<repo>@sha256:<hex>` as tags of the same repository:
 * `sha256-<hex>.sig` (signatures), `.att` (attestations) and `.sbom` (SBOMs); registries without the OCI 1.1
 * referrers API get the referrers index under the tag `sha256-<hex>` (the spec's tag schema fallback, whose
 * referrers are copied by digest: referrers.ts). A copy of the image that brings cosign's tags along under the
 * same names keeps them findable at the destination.
 *
 * A signature (`.sig`) manifest has one layer per signature: a simple-signing payload (JSON naming the
 * signed manifest digest in `critical.image.docker-manifest-digest`) whose signature, base64, is the layer's
 * `dev.cosignproject.cosign/signature` annotation. It is checked here as `cosign verify --key` checks it
 * (SHA-256 over the payload: ECDSA as `cosign generate-key-pair` makes, RSA PKCS#1 v1.5, Ed25519), offline:
 * no transparency log, no certificates.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { isDigest } from './answers.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** What cosign writes as the payload's `critical.type`. */
export const SIGNATURE_PAYLOAD_TYPE = 'cosign container image signature';

/** The suffixes of cosign's tags, in the order a copy brings them (before the image tag). */
export const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const;
export type CosignTagSuffix = (typeof COSIGN_TAG_SUFFIXES)[number];

/** Signatures read per image at most (layers of one `.sig` manifest), and a payload's largest size. */
export const MAX_SIGNATURES = 16;
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** `sha256:<hex>` → `sha256-<hex>`: the referrers tag schema's name for a digest, and cosign's tag stem. */
export function digestTagStem(digest: string): string {
  if (!isDigest(digest)) throw new Error(`"${digest.slice(0, 80)}" is not a digest`);
  return digest.replace(':', '-');
}

/** `sha256-<hex>.sig` (or `.att`, `.sbom`). */
export function cosignTag(digest: string, suffix: CosignTagSuffix): string {
  return `${digestTagStem(digest)}.${suffix}`;
}

/**
 * The tags that may sit beside an image of this digest: cosign's `.sig`, `.att` and `.sbom` (in copy order),
 * then the referrers tag schema's `sha256-<hex>` index (read for its referrers, not copied as a tag:
 * copiedArtifactTags).
 */
export function artifactTagsOf(digest: string): string[] {
  return [...COSIGN_TAG_SUFFIXES.map((suffix) => cosignTag(digest, suffix)), digestTagStem(digest)];
}

const ARTIFACT_TAG = /^(sha256-[a-f0-9]{64}|sha512-[a-f0-9]{128})(\.(sig|att|sbom))?$/;

/**
 * The tags beside an image that a copy brings under the same name: all but the referrers tag schema's index.
 * skopeo (1.9) cannot write that index unchanged (it does not know its descriptors' `artifactType`, and would
 * rewrite it: "Manifest list must be converted ... but we cannot modify it" with `--preserve-digests`), so
 * the referrers it lists are copied one by one by digest instead (registry/referrers.ts).
 */
export function copiedArtifactTags(tags: readonly string[]): string[] {
  return tags.filter((tag) => !/^(sha256-[a-f0-9]{64}|sha512-[a-f0-9]{128})$/.test(tag));
}

/** Whether a tag is one of the tags beside an image (not an image to select): they travel with theirs. */
export function isArtifactTag(tag: string): boolean {
  return ARTIFACT_TAG.test(tag);
}

/** Those of an image's artifact tags a tag list holds, in copy order. */
export function listedArtifactTags(digest: string, listed: ReadonlySet<string>): string[] {
  return artifactTagsOf(digest).filter((tag) => listed.has(tag));
}

/** One signature of a `.sig` manifest: the payload blob to fetch and the signature to check it with. */
export interface SignatureLayer {
  digest: string;
  size: number;
  signature: string;
}

/**
 * The signatures a `.sig` manifest holds (its simple-signing layers with a signature annotation), at most
 * MAX_SIGNATURES; layers of other types or without a signature are left out. Throws when the manifest is
 * not one (no layer list).
 */
export function signatureLayers(manifest: unknown): SignatureLayer[] {
  const layers = (manifest as { layers?: unknown } | undefined)?.layers;
  if (!Array.isArray(layers)) throw new Error('the signature manifest has no layers');
  const found: SignatureLayer[] = [];
  for (const layer of layers) {
    const l = layer as {
      mediaType?: unknown;
      digest?: unknown;
      size?: unknown;
      annotations?: Record<string, unknown>;
    };
    const signature = l?.annotations?.[SIGNATURE_ANNOTATION];
    if (l?.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || typeof signature !== 'string' || signature === '')
      continue;
    if (typeof l.digest !== 'string' || !isDigest(l.digest)) continue;
    if (typeof l.size !== 'number' || !Number.isInteger(l.size) || l.size < 0) continue;
    found.push({ digest: l.digest, size: l.size, signature });
    if (found.length === MAX_SIGNATURES) break;
  }
  return found;
}

/** Why a payload does not sign `digest` (not JSON, not cosign's type, another digest), or undefined. */
export function payloadProblem(payload: Buffer, digest: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the signed payload is not JSON';
  }
  const critical = (
    parsed as { critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } } }
  )?.critical;
  if (critical?.type !== SIGNATURE_PAYLOAD_TYPE)
    return `the signed payload is not a "${SIGNATURE_PAYLOAD_TYPE}"`;
  const signed = critical.image?.['docker-manifest-digest'];
  if (signed !== digest)
    return `the signature is of ${typeof signed === 'string' ? signed.slice(0, 80) : 'no digest'}, not of ${digest}`;
  return undefined;
}

/**
 * A public key in PEM (`cosign.pub`: SPKI `PUBLIC KEY`, or a PKCS#1 `RSA PUBLIC KEY`); throws an Error
 * saying what is wrong, never quoting the text.
 */
export function parsePublicKey(pem: string): KeyObject {
  // A private key would yield its public key too: refused, so that it is not left in a manifests' Secret.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem))
    throw new Error('holds a private key: give the public key only (cosign.pub)');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error('is not a PEM public key (cosign.pub as `cosign generate-key-pair` writes it)');
  }
  const type = key.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa' && type !== 'ed25519')
    throw new Error(`is a ${type} key: cosign signs with ECDSA, RSA or Ed25519 keys`);
  return key;
}

/** Whether `signature` (base64, as cosign's annotation holds it) signs `payload` with `key`. */
export function signatureValid(key: KeyObject, payload: Buffer, signature: string): boolean {
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length === 0) return false;
  try {
    // Ed25519 signs the payload itself; ECDSA (DER signature) and RSA (PKCS#1 v1.5) its SHA-256.
    return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key, bytes);
  } catch {
    return false;
  }
}

export type SignatureState = 'Verified' | 'NotSigned' | 'BadSignature';

export interface SignatureVerdict {
  state: SignatureState;
  /** Why not verified (or which signature verified). */
  message: string;
}

/**
 * The verdict on an image digest from its signatures (each payload already fetched; undefined where it
 * could not be): Verified when one payload names the digest and its signature verifies with the key.
 */
export function judgeSignatures(
  digest: string,
  key: KeyObject,
  signatures: ReadonlyArray<SignatureLayer & { payload?: Buffer }>,
): SignatureVerdict {
  if (signatures.length === 0)
    return { state: 'NotSigned', message: 'its signature manifest holds no cosign signature' };
  const problems: string[] = [];
  for (const [i, s] of signatures.entries()) {
    if (!s.payload) {
      problems.push(`signature ${i + 1}: payload ${s.digest} not found`);
      continue;
    }
    if (!signatureValid(key, s.payload, s.signature)) {
      problems.push(`signature ${i + 1}: does not verify with the public key`);
      continue;
    }
    const problem = payloadProblem(s.payload, digest);
    if (problem) {
      problems.push(`signature ${i + 1}: ${problem}`);
      continue;
    }
    return { state: 'Verified', message: `signature ${i + 1} of ${signatures.length} verifies` };
  }
  return { state: 'BadSignature', message: problems.join('; ') };
}
