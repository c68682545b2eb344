/**
 * The bounded skopeo copy Jobs behind ImageSync, usable by any kind that has a list of copies to make
 * (ImageBackup): each copy is a `sourceRef` that `pairFor` turns into a source → destination pair.
 * Pure. Bounds from Settings.imageSync: at most `maxJobsPerManifest` active Jobs, each copying up to
 * `tagsPerJob` refs; what does not fit waits for a later reconcile. Live Jobs are rendered again from their
 * annotation (same config → same name), so a re-sync neither prunes a running Job nor starts a second one
 * for the same copies; a failed Job holds its copies (no hot retry loop) until its TTL removes it.
 */
import type { ImageOperatorSide, Settings } from '../config/settings.js';
import { contentHash } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { DOMAIN, nameWithHash } from '../core/labels.js';
import { jobPhase } from '../health/job-status.js';
import type { CopyPair } from '../registry/copy-pair.js';
import { AUTHFILE_KEY, renderAuthFileSecret } from '../registry/credentials.js';
import {
  type CopyFiles,
  hostFileName,
  type RegistriesField,
  resolveRegistry,
} from '../registry/registry-access.js';
import { JOB_PATHS, renderSecureJob, shellScript } from './job-template.js';
import { certDirFor, skopeoCopyLines } from './skopeo.js';

export type { CopyFiles } from '../registry/registry-access.js';

/** On each copy Job: the copies it makes, as JSON `[{sourceRef, digest}]`. */
export const SYNC_COPIES_ANNOTATION = `${DOMAIN}/sync-copies`;

export interface PendingCopy {
  /** What `pairFor` reads: a source tag or `sha256:<hex>` (ImageSync), a whole image reference (ImageBackup). */
  sourceRef: string;
  /** The source digest seen now (a moved tag gives a new Job). */
  digest: string;
  /** Tags beside the image copied before it, same names (cosign's `sha256-<hex>.sig`...; ImageSync's verify.ts). */
  artifactTags?: string[];
  /** OCI 1.1 referrers of the digest, copied by digest after the artifact tags, before the image. */
  referrers?: string[];
  /** The manifest GETs this copy makes at a source under a pull budget (charged when its Job is created). */
  pulls?: { budget: string; count: number };
}

/** Everything a set of copy Jobs depends on besides the Settings. */
export interface CopyJobSetup {
  namespace: string;
  /** Job names are `<jobPrefix>-<hash of the Job>`. */
  jobPrefix: string;
  filesSecretName: string;
  files: CopyFiles;
  /** The manifest's `registries` (TLS and CA per host), over Settings.registries. */
  registries: RegistriesField;
  pairFor(sourceRef: string): CopyPair;
  /** One `os/arch[/variant]`; absent copies every platform (`--all`). */
  platform?: string;
  /** image-operator's global settings for each side (an `Image` manifest only). */
  sides?: { source?: ImageOperatorSide; destination?: ImageOperatorSide };
  /** Copy each image by the digest its copy names (the one verified), unchanged, not by its tag. */
  byDigest?: boolean;
}

export function hasCopyFiles(files: CopyFiles): boolean {
  return !!files.authFile || Object.keys(files.cas).length > 0;
}

/** The Secret carrying the merged authfile and the CAs into the Jobs. */
export function renderCopyFilesSecret(setup: CopyJobSetup): KubeObject {
  const secret = renderAuthFileSecret({
    name: setup.filesSecretName,
    namespace: setup.namespace,
    authFile: setup.files.authFile ?? { auths: {} },
  });
  const data = secret.data as Record<string, string>;
  for (const host of Object.keys(setup.files.cas).sort()) {
    data[`ca-${hostFileName(host)}.crt`] = Buffer.from(setup.files.cas[host] ?? '').toString('base64');
  }
  return secret;
}

/** The Secret keys and where they land under the mount: auth.json, certs/<host>/ca.crt. */
function filesItems(files: CopyFiles): Array<{ key: string; path: string }> {
  const items = [{ key: AUTHFILE_KEY, path: AUTHFILE_KEY }];
  for (const host of Object.keys(files.cas).sort()) {
    items.push({ key: `ca-${hostFileName(host)}.crt`, path: `certs/${hostFileName(host)}/ca.crt` });
  }
  return items;
}

/** The argv lists of the copies, in the order given (a copy's artifact tags before its image). */
export function copyArgvsFor(
  setup: CopyJobSetup,
  settings: Settings,
  copies: readonly (string | PendingCopy)[],
): string[][] {
  return copies.flatMap((copy) => {
    const { sourceRef, digest, artifactTags, referrers } =
      typeof copy === 'string' ? { sourceRef: copy } : copy;
    const pair = setup.pairFor(sourceRef);
    const side = (host: string, defaults: ImageOperatorSide | undefined) => {
      const registry = resolveRegistry(host, setup.registries, settings, setup.namespace, defaults);
      const hasCa = setup.files.cas[registry.host] !== undefined;
      return { tlsVerify: registry.tlsVerify, ...(hasCa ? { certDir: certDirFor(registry.host) } : {}) };
    };
    const options = {
      source: side(pair.source.registry, setup.sides?.source),
      destination: side(pair.destination.registry, setup.sides?.destination),
      ...(setup.files.authFile ? { authFile: JOB_PATHS.authFile } : {}),
      ...(setup.platform ? { platform: setup.platform } : {}),
    };
    return skopeoCopyLines(pair, options, {
      ...(artifactTags ? { artifactTags } : {}),
      ...(referrers?.length ? { referrers } : {}),
      // Its referrers name the digest as their subject: the image goes by it, unchanged, then too.
      ...((setup.byDigest || referrers?.length) && digest ? { digest } : {}),
    });
  });
}

/** The secure Job input running the copies of `refs` (also the CronJob's, for a Recurrent ImageSync). */
export function copyJobInput(
  setup: CopyJobSetup,
  settings: Settings,
  refs: readonly (string | PendingCopy)[],
) {
  const files = hasCopyFiles(setup.files);
  return {
    namespace: setup.namespace,
    image: settings.images.skopeo,
    containerName: 'skopeo',
    command: ['/bin/sh', '-ec', shellScript(copyArgvsFor(setup, settings, refs))],
    defaults: settings.jobs,
    ...(files ? { authSecretName: setup.filesSecretName, authSecretItems: filesItems(setup.files) } : {}),
  };
}

/** One copy Job for a batch; its name hashes its whole content, so equal batches give equal Jobs. */
export function renderCopyJobFor(
  setup: CopyJobSetup,
  settings: Settings,
  batch: readonly PendingCopy[],
): KubeObject {
  const annotations = {
    [SYNC_COPIES_ANNOTATION]: JSON.stringify(
      batch.map(({ sourceRef, digest, artifactTags, referrers, pulls }) => ({
        sourceRef,
        digest,
        ...(artifactTags?.length ? { artifactTags } : {}),
        ...(referrers?.length ? { referrers } : {}),
        ...(pulls ? { pulls } : {}),
      })),
    ),
  };
  const input = { ...copyJobInput(setup, settings, batch), annotations };
  const name = nameWithHash(setup.jobPrefix, contentHash(renderSecureJob({ ...input, name: '' })));
  return renderSecureJob({ ...input, name });
}

/**
 * The copies live copy Jobs make while not complete (a failed Job holds its copies until its TTL removes it:
 * no hot retry), and how many of them are running.
 */
export function liveCopies(live: readonly KubeObject[]): { covered: Set<string>; active: number } {
  const covered = new Set<string>();
  let active = 0;
  for (const job of live) {
    const copies = job.kind === 'Job' ? copiesOf(job) : undefined;
    if (!copies) continue;
    const phase = jobPhase(job).phase;
    if (phase === 'Active') active++;
    if (phase !== 'Complete') for (const c of copies) covered.add(`${c.sourceRef}@${c.digest}`);
  }
  return { covered, active };
}

/** The copies a copy Job makes, from its annotation; undefined for another Job. */
export function copiesOf(job: KubeObject): PendingCopy[] | undefined {
  const text = job.metadata.annotations?.[SYNC_COPIES_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as PendingCopy[];
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Live Jobs kept as they are, and new Jobs for the pending copies they do not cover, within the bounds. */
export function renderCopyJobsFor(
  setup: CopyJobSetup,
  settings: Settings,
  live: readonly KubeObject[],
  pending: readonly PendingCopy[],
): KubeObject[] {
  return planCopyJobs(setup, settings, live, pending).jobs;
}

/** The Jobs, and how many pending copies found no room in them (they wait for a later sync). */
export function planCopyJobs(
  setup: CopyJobSetup,
  settings: Settings,
  live: readonly KubeObject[],
  pending: readonly PendingCopy[],
): { jobs: KubeObject[]; deferred: number } {
  const kept: KubeObject[] = [];
  const current: KubeObject[] = [];
  for (const job of live) {
    const copies = job.kind === 'Job' ? copiesOf(job) : undefined;
    if (!copies) continue;
    const again = renderCopyJobFor(setup, settings, copies);
    if (again.metadata.name !== job.metadata.name) continue; // config changed: the old Job goes
    kept.push(again);
    current.push(job);
  }
  const { covered, active } = liveCopies(current);
  const { maxJobsPerManifest, tagsPerJob } = settings.imageSync;
  const perJob = Math.max(1, tagsPerJob);
  const slots = Math.max(0, maxJobsPerManifest - active);
  const todo = pending.filter((c) => !covered.has(`${c.sourceRef}@${c.digest}`));
  const batches = chunk(todo.slice(0, slots * perJob), perJob);
  return {
    jobs: [...kept, ...batches.map((batch) => renderCopyJobFor(setup, settings, batch))],
    deferred: Math.max(0, todo.length - slots * perJob),
  };
}
