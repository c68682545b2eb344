/**
 * Signatures of ImageSync's copies (I/O, in the observe step): which tags beside each pending image travel
 * with it (cosign's `.sig`, `.att`, `.sbom`: from the source's tag list when it was read whole, else by HEAD),
 * its OCI 1.1 referrers (from the API where the source serves it, else from the tag schema's `sha256-<hex>`
 * index: each copied by digest, the index itself not), and, with `spec.verify`, whether the source digest carries a cosign signature that verifies with
 * the public key of the manifest's Secret: the `.sig` tag's, else a signature referrer's (cosign
 * `--registry-referrers-mode=oci-1-1`, found by the API or the tag schema's index). Only verified copies stay
 * pending (get a Job); the others are reported, per tag, with the reason.
 *
 * Bounded: at most `limit` copies (what the Jobs of one sync can take) are looked at per sync; the rest wait
 * for the next syncs, as copies past the Job bound do. Without `verify`, from a whole tag list, at a source
 * found without the referrers API nothing more is asked: the rest go at once.
 */
import type { KeyObject } from 'node:crypto';
import { mapBounded } from '../../core/concurrency.js';
import { ImageGitopsError } from '../../core/errors.js';
import type { PendingCopy } from '../../jobs/copy-jobs.js';
import type { RegistryClient } from '../../registry/client.js';
import {
  artifactTagsOf,
  copiedArtifactTags,
  cosignTag,
  digestTagStem,
  judgeSignatures,
  listedArtifactTags,
  MAX_PAYLOAD_BYTES,
  parsePublicKey,
  type SignatureState,
  type SignatureVerdict,
  signatureLayers,
} from '../../registry/cosign-signatures.js';
import type { ImageReference } from '../../registry/references.js';
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  filterByArtifactType,
  type ReferrersList,
  referrersToCopy,
} from '../../registry/referrers.js';
import type { ObserveContext } from '../types.js';
import type { ImageSyncSpec } from './spec.js';

const CONCURRENCY = 4;
export const DEFAULT_PUBLIC_KEY = 'cosign.pub';
/** Signature referrers read per image at most. */
export const MAX_SIGNATURE_REFERRERS = 8;

/** Where the verified signature was: cosign's `.sig` tag, or a referrer (by its digest). */
export type SignatureFound = 'tag' | 'referrer';

type Repository = Pick<ImageReference, 'registry' | 'repository'>;

export interface SignatureCheck {
  sourceRef: string;
  digest: string;
  state: SignatureState;
  message: string;
  /** Verified: where the signature that verified was. */
  via?: SignatureFound;
}

export type VerifyVerdict = SignatureVerdict & { via?: SignatureFound };

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

/** The signatures of one signature manifest (a `.sig` tag or a referrer), each payload fetched, judged. */
async function judgeManifest(
  client: RegistryClient,
  source: Repository,
  digest: string,
  key: KeyObject,
  reference: string,
  manifest: { body: unknown },
): Promise<SignatureVerdict> {
  let layers: ReturnType<typeof signatureLayers>;
  try {
    layers = signatureLayers(manifest.body);
  } catch (error) {
    return { state: 'BadSignature', message: `${reference}: ${(error as Error).message}` };
  }
  const signatures = await mapBounded(layers, CONCURRENCY, async (layer) => {
    if (layer.size > MAX_PAYLOAD_BYTES) return layer;
    const payload = await client.getBlob(source, layer.digest, MAX_PAYLOAD_BYTES);
    return payload ? { ...layer, payload } : layer;
  });
  const verdict = judgeSignatures(digest, key, signatures);
  return { ...verdict, message: `${reference}: ${verdict.message}` };
}

/**
 * The verdict on one source digest: its `.sig` manifest's signatures, then those of its cosign signature
 * referrers (at most MAX_SIGNATURE_REFERRERS), checked with the key; Verified says where (`via`).
 */
export async function verifyDigest(
  client: RegistryClient,
  source: Repository,
  digest: string,
  key: KeyObject,
  artifacts: readonly string[],
  referrers: ReferrersList = { via: 'none', referrers: [] },
): Promise<VerifyVerdict> {
  const sigTag = cosignTag(digest, 'sig');
  const problems: string[] = [];
  const manifest = artifacts.includes(sigTag) ? await client.getManifest(source, sigTag) : undefined;
  if (manifest) {
    const verdict = await judgeManifest(client, source, digest, key, sigTag, manifest);
    if (verdict.state === 'Verified') return { ...verdict, via: 'tag' };
    problems.push(verdict.message);
  }
  const signatureReferrers = filterByArtifactType(
    referrers.referrers,
    COSIGN_SIGNATURE_ARTIFACT_TYPE,
    undefined,
  ).slice(0, MAX_SIGNATURE_REFERRERS);
  const where = referrers.via === 'api' ? 'referrer' : 'referrer (tag schema)';
  for (const referrer of signatureReferrers) {
    const found = await client.getManifest(source, referrer.digest);
    const reference = `${where} ${referrer.digest}`;
    if (!found) {
      problems.push(`${reference}: not found`);
      continue;
    }
    const verdict = await judgeManifest(client, source, digest, key, reference, found);
    if (verdict.state === 'Verified') return { ...verdict, via: 'referrer' };
    problems.push(verdict.message);
  }
  if (problems.length === 0)
    return {
      state: 'NotSigned',
      message: `no ${sigTag} at the source, and no cosign signature among its referrers`,
    };
  // A signature manifest that holds none (NotSigned) is no bad signature; any that failed to verify is.
  const bad = problems.some((p) => !p.endsWith('holds no cosign signature'));
  return { state: bad ? 'BadSignature' : 'NotSigned', message: problems.join('; ') };
}

/** One copy with the tags and referrers that travel with it, and its verdict with a key. */
async function checkCopy(
  client: RegistryClient,
  source: Repository,
  copy: PendingCopy,
  options: { key?: KeyObject; listed?: ReadonlySet<string> },
): Promise<{ copy: PendingCopy; verdict?: VerifyVerdict }> {
  const artifacts = await artifactTags(client, source, copy.digest, options.listed);
  // The tag schema's index is read only where the tags say it is there.
  const referrers = await client.listReferrers(source, copy.digest, {
    tagSchema: artifacts.includes(digestTagStem(copy.digest)),
  });
  const verdict = options.key
    ? await verifyDigest(client, source, copy.digest, options.key, artifacts, referrers)
    : undefined;
  const byDigest = referrersToCopy(referrers);
  const tags = copiedArtifactTags(artifacts);
  return {
    copy: {
      ...copy,
      ...(tags.length ? { artifactTags: tags } : {}),
      ...(byDigest.length ? { referrers: byDigest } : {}),
    },
    ...(verdict ? { verdict } : {}),
  };
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
  // A bounded number per sync: each asks for its referrers (and, without a whole tag list, its tags).
  const first = pending.slice(0, Math.max(1, options.limit));
  const check = (copy: PendingCopy) => checkCopy(client, source, copy, options);
  // The first alone: a source without the referrers API says so once, and is not asked for the others.
  const checked = first.length ? [await check(first[0]!)] : [];
  checked.push(...(await mapBounded(first.slice(1), CONCURRENCY, check)));
  // From a whole tag list, without a key, at a source found without the referrers API nothing is asked:
  // the rest go at once (their tags from the list).
  const cheap = !options.key && !!options.listed && client.referrersApiUnsupported(source);
  const looked = cheap ? pending : first;
  if (cheap) checked.push(...(await mapBounded(pending.slice(first.length), CONCURRENCY, check)));
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
      ...(verdict!.via ? { via: verdict!.via } : {}),
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
