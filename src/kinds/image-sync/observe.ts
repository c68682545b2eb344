/**
 * ImageSync's observe step (I/O): read the credentials and CAs of the registries involved, then ask both
 * registries (tag list, manifest HEADs) which selected tags are not yet at the destination with the source's
 * digest. Only those become copies; a steady state yields none.
 */

import type { ImageOperatorSide } from '../../config/settings.js';
import { mapBounded } from '../../core/concurrency.js';
import { ImageGitopsError } from '../../core/errors.js';
import { describeJobFailures, observeJobFailures } from '../../jobs/job-failures.js';
import type { Manifest } from '../../manifests/types.js';
import { type Platform, type RegistryAccess, RegistryClient } from '../../registry/client.js';
import { buildAuthFile, type CredentialsByHost, credentialForHost } from '../../registry/credentials.js';
import { defaultAwsEcrAccess, describeTruncated, ecrRegistryCredential } from '../../registry/ecr.js';
import type { ObserveContext } from '../types.js';
import type { CopyFiles, PendingCopy } from './copy-jobs.js';
import {
  type CopyPair,
  copyPairFor,
  effectiveMode,
  singleSourceReference,
  sourceRepository,
} from './naming.js';
import {
  decideRun,
  describeCronJob,
  describeRun,
  liveRecord,
  recordName,
  type TimedRun,
  timedFrequency,
} from './recurrence.js';
import {
  imageOperatorSides,
  type RegistriesField,
  type ResolvedRegistry,
  resolveRegistry,
} from './registries.js';
import type { ImageSyncSpec } from './spec.js';
import { selectTags } from './tags.js';

export type { CopyFiles, PendingCopy } from './copy-jobs.js';

export interface ImageSyncObserved {
  /** Selected source tags (after pattern, RC rule and `newest`). */
  matched: number;
  upToDate: number;
  /** Copies to make, newest first. */
  pending: PendingCopy[];
  /** Selected references the source does not have. */
  missing: string[];
  /** Entries of the source's tag list that are not valid tags: not copied. */
  skipped?: string[];
  /** The authfile (hosts with credentials) and CA PEMs by host, rendered into the Job's files Secret. */
  files: CopyFiles;
  /** A Recurrent sync the reconciler times (recurrence.ts): whether this sync is a run, and its record. */
  run?: TimedRun;
  message: string;
}

const CONCURRENCY = 8;

async function readCa(registry: ResolvedRegistry, context: ObserveContext): Promise<string | undefined> {
  const ca = registry.ca;
  if (!ca) return undefined;
  let data: Record<string, string> | undefined;
  if (ca.kind === 'Secret') data = await context.readSecret(ca.namespace, ca.name);
  else {
    const maps = await context.listObjects({ apiVersion: 'v1', kind: 'ConfigMap' }, ca.namespace);
    data = maps.find((m) => m.metadata.name === ca.name)?.data as Record<string, string> | undefined;
  }
  const pem = data?.[ca.key];
  if (!pem) {
    throw new ImageGitopsError(
      'OBSERVE_FAILED',
      `${ca.kind} ${ca.namespace}/${ca.name} has no key "${ca.key}" (CA of ${registry.host})`,
    );
  }
  return pem;
}

async function readCredential(registry: ResolvedRegistry, context: ObserveContext) {
  if (registry.awsEcr) return ecrRegistryCredential(registry.host, context.awsEcr, context.signal);
  if (registry.inlineCredential) return registry.inlineCredential;
  const ref = registry.credentialsSecret;
  if (!ref) return undefined;
  const data = await context.readSecret(ref.namespace, ref.name);
  const where = `Secret ${ref.namespace}/${ref.name}`;
  if (!data)
    throw new ImageGitopsError('OBSERVE_FAILED', `${where} (credentials of ${registry.host}) does not exist`);
  const credential = credentialForHost(data, registry.host, where);
  if (!credential) throw new ImageGitopsError('OBSERVE_FAILED', `${where} has no entry for ${registry.host}`);
  return credential;
}

/** Credentials, CAs and TLS settings of the given registries (any kind with a `registries` field). */
export async function observeAccessForHosts(
  hosts: readonly string[],
  spec: RegistriesField,
  context: ObserveContext,
  namespace: string,
  sideOf?: (host: string) => ImageOperatorSide | undefined,
): Promise<{ access: Map<string, RegistryAccess>; files: CopyFiles }> {
  const access = new Map<string, RegistryAccess>();
  const credentials: CredentialsByHost = new Map();
  const cas: Record<string, string> = {};
  for (const host of new Set(hosts)) {
    const registry = resolveRegistry(host, spec, context.settings, namespace, sideOf?.(host));
    if (access.has(registry.host)) continue;
    const credential = await readCredential(registry, context);
    const ca = await readCa(registry, context);
    if (credential) credentials.set(registry.host, credential);
    if (ca) cas[registry.host] = ca;
    access.set(registry.host, {
      tlsVerify: registry.tlsVerify,
      ...(credential ? { credential } : {}),
      ...(ca ? { ca } : {}),
    });
  }
  return {
    access,
    files: { ...(credentials.size > 0 ? { authFile: buildAuthFile(credentials) } : {}), cas },
  };
}

/** Credentials, CAs and TLS settings of the source and destination registries. */
export function observeRegistryAccess(
  spec: ImageSyncSpec,
  context: ObserveContext,
  namespace: string,
  sides: { source?: ImageOperatorSide; destination?: ImageOperatorSide } = {},
): Promise<{ access: Map<string, RegistryAccess>; files: CopyFiles }> {
  const pair = copyPairFor(spec, singleSourceReference(spec));
  // The source's settings win when both sides are one registry (one authfile entry per host).
  const sideOf = (host: string) => (host === pair.source.registry ? sides.source : sides.destination);
  return observeAccessForHosts(
    [pair.source.registry, pair.destination.registry],
    spec,
    context,
    namespace,
    sideOf,
  );
}

export type CopyOutcome =
  | { pair: CopyPair; state: 'upToDate'; digest: string }
  | { pair: CopyPair; state: 'pending'; digest: string }
  | { pair: CopyPair; state: 'missing' }
  | { pair: CopyPair; state: 'failed'; message: string };

/**
 * Compares each pair's source digest with its destination's (one tag list per destination repository,
 * shared by the concurrent checks): equal is up to date, different or absent is pending, no source is
 * missing. Registry errors throw, unless `tolerateErrors` records them as `failed` for that pair only.
 */
export async function compareCopies(
  client: RegistryClient,
  pairs: readonly CopyPair[],
  options: { platform?: Platform; tolerateErrors?: boolean } = {},
): Promise<CopyOutcome[]> {
  const destinationTags = new Map<string, Promise<Set<string>>>();
  const tagsAt = (registry: string, repository: string): Promise<Set<string>> => {
    const key = `${registry}/${repository}`;
    let tags = destinationTags.get(key);
    if (!tags) {
      tags = client.listTags({ registry, repository }).then((list) => new Set(list ?? []));
      destinationTags.set(key, tags);
    }
    return tags;
  };
  const compare = async (pair: CopyPair): Promise<CopyOutcome> => {
    const reference = pair.source.digest ?? pair.source.tag ?? 'latest';
    const digest = options.platform
      ? await client.platformDigest(pair.source, reference, options.platform)
      : await client.manifestDigest(pair.source, reference);
    if (!digest) return { pair, state: 'missing' };
    const { registry, repository, tag } = pair.destination;
    const present = (await tagsAt(registry, repository)).has(tag ?? '');
    const destinationDigest = present ? await client.manifestDigest(pair.destination, tag ?? '') : undefined;
    return { pair, state: destinationDigest === digest ? 'upToDate' : 'pending', digest };
  };
  return mapBounded(pairs, CONCURRENCY, async (pair) => {
    if (!options.tolerateErrors) return compare(pair);
    try {
      return await compare(pair);
    } catch (error) {
      return { pair, state: 'failed', message: error instanceof Error ? error.message : String(error) };
    }
  });
}

function platformOf(spec: ImageSyncSpec): Platform | undefined {
  const text = spec.platforms?.[0];
  if (!text) return undefined;
  const [os = 'linux', architecture = 'amd64', variant] = text.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function observeImageSync(
  manifest: Manifest<ImageSyncSpec>,
  context: ObserveContext,
): Promise<ImageSyncObserved> {
  return observeImageSyncAt(manifest, context, new Date());
}

/** The observe step at a given time (a timed Recurrent sync decides from it whether a run is due). */
export async function observeImageSyncAt(
  manifest: Manifest<ImageSyncSpec>,
  context: ObserveContext,
  now: Date,
): Promise<ImageSyncObserved> {
  const spec = manifest.spec;
  const namespace = manifest.namespace ?? context.namespace;
  const sides = imageOperatorSides(manifest.origin.apiVersion, context.settings);
  const { access, files } = await observeRegistryAccess(spec, context, namespace, sides);
  const empty = { matched: 0, upToDate: 0, pending: [], missing: [], files };
  let run: TimedRun | undefined;
  if (effectiveMode(spec) === 'Recurrent') {
    const everyMs = timedFrequency(spec);
    if (everyMs === undefined) return { ...empty, message: describeCronJob(spec) };
    run = decideRun(liveRecord(context.live, recordName(manifest)), spec, everyMs, now);
    if (!run.due) {
      const failures = await observeJobFailures(context.live, context, namespace);
      return { ...empty, run, message: describeRun(run) + describeJobFailures(failures, 'copy Job') };
    }
  }

  const client = new RegistryClient({
    access: (host) => access.get(host),
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.registry ? { policy: context.registry } : {}),
    tagPaging: (context.awsEcr ?? defaultAwsEcrAccess()).tagPaging,
  });
  const source = sourceRepository(spec);
  let refs: string[];
  let skipped: string[] = [];
  let truncated = '';
  if (spec.tags) {
    const list = await client.listTagsDetailed(source);
    if (!list)
      throw new ImageGitopsError(
        'OBSERVE_FAILED',
        `source repository ${source.registry}/${source.repository} not found`,
      );
    skipped = list.skipped;
    truncated = describeTruncated(source, list);
    refs = selectTags(list.tags, spec.tags);
  } else {
    refs = [singleSourceReference(spec)];
  }
  const platform = platformOf(spec);
  const outcomes = await compareCopies(
    client,
    refs.map((ref) => copyPairFor(spec, ref)),
    platform ? { platform } : {},
  );

  const pending: PendingCopy[] = [];
  const missing: string[] = [];
  let upToDate = 0;
  for (const outcome of outcomes) {
    const ref = outcome.pair.sourceRef;
    if (outcome.state === 'pending') pending.push({ sourceRef: ref, digest: outcome.digest });
    else if (outcome.state === 'missing') missing.push(ref);
    else if (outcome.state === 'upToDate') upToDate++;
  }
  if (!spec.tags && missing.length > 0) {
    throw new ImageGitopsError(
      'OBSERVE_FAILED',
      `source ${source.registry}/${source.repository}:${missing[0]} not found`,
    );
  }
  const { maxJobsPerManifest, tagsPerJob } = context.settings.imageSync;
  const message =
    (run ? `${describeRun(run)}: ` : '') +
    `${refs.length} selected, ${upToDate} up to date, ${pending.length} to copy` +
    (missing.length ? `, ${missing.length} missing at source` : '') +
    ` (at most ${maxJobsPerManifest} Jobs of ${tagsPerJob} tags at a time)` +
    (skipped.length ? `; ${describeSkipped(skipped)}` : '') +
    truncated +
    describeJobFailures(await observeJobFailures(context.live, context, namespace), 'copy Job');
  return {
    matched: refs.length,
    upToDate,
    pending,
    missing,
    ...(skipped.length ? { skipped } : {}),
    ...(run ? { run } : {}),
    files,
    message,
  };
}

/** `2 source tags skipped, not valid tags: "a b", "x;y"` (the first five, quoted and shortened). */
export function describeSkipped(skipped: readonly string[]): string {
  const shown = skipped.slice(0, 5).map((t) => JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}...` : t));
  const more = skipped.length > shown.length ? ` and ${skipped.length - shown.length} more` : '';
  return `${skipped.length} source tag${skipped.length === 1 ? '' : 's'} skipped, not valid tags: ${shown.join(', ')}${more}`;
}
