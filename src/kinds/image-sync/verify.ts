/**
 * Signatures of ImageSync's copies (I/O, in the observe step): which tags beside each pending image travel
 * with it (cosign's `.sig`, `.att`, `.sbom` and the referrers tag schema's index: from the source's tag list
 * when it was read whole, else by HEAD), and, with `spec.verify`, whether the source digest carries a cosign
 * signature that verifies with the public key of the manifest's Secret. Only verified copies stay pending
 * (get a Job); the others are reported, per tag, with the reason.
 *
 * Bounded: at most `limit` copies (what the Jobs of one sync can take) are looked at per sync; the rest wait
 * for the next syncs, as copies past the Job bound do.
 */
import type { KeyObject } from 'node:crypto';
import { mapBounded } from '../../core/concurrency.js';
import { ImageGitopsError } from '../../core/errors.js';
import type { PendingCopy } from '../../jobs/copy-jobs.js';
import type { RegistryClient } from '../../registry/client.js';
import {
  artifactTagsOf,
  cosignTag,
  judgeSignatures,
  listedArtifactTags,
  MAX_PAYLOAD_BYTES,
  parsePublicKey,
  type SignatureState,
  type SignatureVerdict,
  signatureLayers,
} from '../../registry/cosign-signatures.js';
import type { ImageReference } from '../../registry/references.js';
import type { ObserveContext } from '../types.js';
import type { ImageSyncSpec } from './spec.js';

const CONCURRENCY = 4;
export const DEFAULT_PUBLIC_KEY = 'cosign.pub';

type Repository = Pick<ImageReference, 'registry' | 'repository'>;

export interface SignatureCheck {
  sourceRef: string;
  digest: string;
  state: SignatureState;
  message: string;
}

export interface SignedCopies {
  /** The copies to make now, each with the tags beside it to copy first. */
  pending: PendingCopy[];
  /** With `verify`: the verdict of each copy looked at, those not verified first. */
  verification?: SignatureCheck[];
  /** Pending copies left for the next syncs (past this sync's bound). */
  waiting: number;
}

/** The public key `spec.verify` names, read from its Secret (labelled usable by manifests). */
export async function readVerifyKey(
  spec: ImageSyncSpec,
  context: Pick<ObserveContext, 'readSecret'>,
  namespace: string,
): Promise<KeyObject | undefined> {
  const ref = spec.verify?.publicKey;
  if (!ref) return undefined;
  const key = ref.key ?? DEFAULT_PUBLIC_KEY;
  const where = `Secret ${namespace}/${ref.secret} (verify.publicKey)`;
  const data = await context.readSecret(namespace, ref.secret);
  if (!data)
    throw new ImageGitopsError('OBSERVE_FAILED', `${where} does not exist: nothing is copied unverified`);
  const pem = data[key];
  if (!pem) throw new ImageGitopsError('OBSERVE_FAILED', `${where} has no key "${key}"`);
  try {
    return parsePublicKey(pem);
  } catch (error) {
    throw new ImageGitopsError('OBSERVE_FAILED', `${where} key "${key}" ${(error as Error).message}`);
  }
}

/** The tags beside one image digest at the source: from the whole tag list when given, else by HEAD. */
async function artifactTags(
  client: RegistryClient,
  source: Repository,
  digest: string,
  listed: ReadonlySet<string> | undefined,
): Promise<string[]> {
  if (listed) return listedArtifactTags(digest, listed);
  const tags = artifactTagsOf(digest);
  const present = await mapBounded(tags, CONCURRENCY, async (tag) =>
    (await client.manifestDigest(source, tag)) ? tag : undefined,
  );
  return present.filter((tag): tag is string => tag !== undefined);
}

/** The verdict on one source digest: its `.sig` manifest, each signature's payload, checked with the key. */
export async function verifyDigest(
  client: RegistryClient,
  source: Repository,
  digest: string,
  key: KeyObject,
  artifacts: readonly string[],
): Promise<SignatureVerdict> {
  const sigTag = cosignTag(digest, 'sig');
  const manifest = artifacts.includes(sigTag) ? await client.getManifest(source, sigTag) : undefined;
  if (!manifest) return { state: 'NotSigned', message: `no ${sigTag} at the source` };
  let layers: ReturnType<typeof signatureLayers>;
  try {
    layers = signatureLayers(manifest.body);
  } catch (error) {
    return { state: 'BadSignature', message: `${sigTag}: ${(error as Error).message}` };
  }
  const signatures = await mapBounded(layers, CONCURRENCY, async (layer) => {
    if (layer.size > MAX_PAYLOAD_BYTES) return layer;
    const payload = await client.getBlob(source, layer.digest, MAX_PAYLOAD_BYTES);
    return payload ? { ...layer, payload } : layer;
  });
  return judgeSignatures(digest, key, signatures);
}

/**
 * The pending copies with the tags that travel with each and, with a key, only those whose source digest
 * is verified. `listed` is the source's whole tag list when it was read (absent: tags are asked by HEAD).
 */
export async function signCopies(
  client: RegistryClient,
  source: Repository,
  pending: readonly PendingCopy[],
  options: { key?: KeyObject; listed?: ReadonlySet<string>; limit: number },
): Promise<SignedCopies> {
  // With the whole tag list nothing is asked: every copy goes at once. Otherwise a bounded number per sync.
  const costsRequests = !!options.key || !options.listed;
  const looked = costsRequests ? pending.slice(0, Math.max(1, options.limit)) : pending;
  const checked = await mapBounded(looked, CONCURRENCY, async (copy) => {
    const artifacts = await artifactTags(client, source, copy.digest, options.listed);
    const verdict = options.key
      ? await verifyDigest(client, source, copy.digest, options.key, artifacts)
      : undefined;
    return { copy: { ...copy, ...(artifacts.length ? { artifactTags: artifacts } : {}) }, verdict };
  });
  const result: SignedCopies = {
    pending: checked.filter((c) => !c.verdict || c.verdict.state === 'Verified').map((c) => c.copy),
    waiting: pending.length - looked.length,
  };
  if (options.key) {
    const checks = checked.map(({ copy, verdict }) => ({
      sourceRef: copy.sourceRef,
      digest: copy.digest,
      state: verdict!.state,
      message: verdict!.message,
    }));
    result.verification = [
      ...checks.filter((c) => c.state !== 'Verified'),
      ...checks.filter((c) => c.state === 'Verified'),
    ];
  }
  return result;
}

/** `, 2 verified, 1 not copied (unverified: 1 NotSigned), 40 waiting to be verified at the next syncs` */
export function describeSigned(signed: SignedCopies): string {
  const checks = signed.verification;
  if (!checks) return signed.waiting ? `, ${signed.waiting} waiting for the next syncs` : '';
  const counts = new Map<SignatureState, number>();
  for (const c of checks) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  const verified = counts.get('Verified') ?? 0;
  const unverified = checks.length - verified;
  const why = (['NotSigned', 'BadSignature'] as const)
    .filter((state) => counts.has(state))
    .map((state) => `${counts.get(state)} ${state}`)
    .join(', ');
  return (
    `, ${verified} verified` +
    (unverified ? `, ${unverified} not copied (unverified: ${why})` : '') +
    (signed.waiting ? `, ${signed.waiting} waiting to be verified at the next syncs` : '')
  );
}
