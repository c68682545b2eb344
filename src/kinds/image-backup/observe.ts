/**
 * ImageBackup's observe step (I/O): list the workloads of the selected namespaces, take the images they
 * use, and compare each image's digest with its backup copy's through the shared copy machinery (credentials and
 * CAs per registry, one tag list per backup repository). Images already backed up make no copy. With
 * `pullSecret`, it also reads the backup registry's pull credentials (through the manifests' Secret gate).
 */
import { ImageGitopsError } from '../../core/errors.js';
import type { KubeObject } from '../../core/kube-object.js';
import { USABLE_BY_MANIFESTS_LABEL } from '../../core/labels.js';
import { type BudgetReport, describeBudgets } from '../../jobs/copy-budget.js';
import type { PendingCopy } from '../../jobs/copy-jobs.js';
import { describeJobFailures, observeJobFailures } from '../../jobs/job-failures.js';
import type { Manifest } from '../../manifests/types.js';
import { RegistryClient } from '../../registry/client.js';
import { compareCopies } from '../../registry/compare-copies.js';
import type { AuthFile, RegistryCredential } from '../../registry/credentials.js';
import { normaliseRegistryHost } from '../../registry/references.js';
import { type CopyFiles, observeAccessForHosts } from '../../registry/registry-access.js';
import type { ObserveContext } from '../types.js';
import { imagesToBackUp } from './images.js';
import { backupCopyPair, backupImageName, parseBackupRegistry } from './naming.js';
import { budgetBackupCopies, budgetClientOptions, sourceBudgets } from './pull-budget.js';
import { pullAuthFile, pullSecretName } from './pull-secret.js';
import type { ImageBackupSpec } from './types.js';
import { isNamespaceSelected, readWorkload, WORKLOAD_TYPES, type WorkloadImages } from './workloads.js';

export type BackupState = 'upToDate' | 'pending' | 'missing' | 'failed';

export interface ImageBackupStatus {
  /** Canonical source reference, e.g. `docker.io/library/nginx:latest`. */
  sourceRef: string;
  /** Its backup copy, e.g. `registry.example.com/backup/index_docker_io/library/nginx:latest`. */
  backup: string;
  state: BackupState;
  /** The source digest, when the source answered. */
  digest?: string;
  message?: string;
}

export interface ImageBackupObserved {
  /** The manifest's key, recorded on the workloads it rewrites. */
  manifestKey: string;
  workloads: WorkloadImages[];
  images: ImageBackupStatus[];
  /** Copies to make (sourceRef = canonical source reference). */
  pending: PendingCopy[];
  /** The backup digest a pending copy replaces (the source tag moved), by source reference. */
  replaces?: Record<string, string>;
  files: CopyFiles;
  /** The sources' pull budgets the copies met: what is left, how many copies each defers and until when. */
  budget?: BudgetReport[];
  /** Pending copies deferred by pull budgets (not in `pending`). */
  budgetDeferred?: number;
  /** The pullSecret's credentials for the backup registry host only; absent without a usable pullSecret. */
  pullAuth?: AuthFile;
  message: string;
}

const NAMESPACE_TYPE = { apiVersion: 'v1', kind: 'Namespace', clusterScoped: true };

function byIdentity(a: WorkloadImages, b: WorkloadImages): number {
  const key = (w: WorkloadImages) => `${w.kind}/${w.namespace}/${w.name}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/**
 * The pullSecret's read credentials for the backup registry. With `rewrite: true` a pullSecret that cannot be
 * used fails the manifest (no workload is pointed at a registry it cannot pull from); with rewrite off it is
 * needed only to keep pull Secrets while undos are pending, so it is then left out quietly.
 */
async function observePullAuth(
  spec: ImageBackupSpec,
  namespace: string,
  backupHost: string,
  pushCredential: RegistryCredential | undefined,
  context: ObserveContext,
): Promise<AuthFile | undefined> {
  if (!spec.pullSecret) return undefined;
  const where = `pullSecret: Secret ${namespace}/${spec.pullSecret}`;
  try {
    const data = await context.readSecret(namespace, spec.pullSecret);
    if (!data)
      throw new ImageGitopsError(
        'OBSERVE_FAILED',
        `${where} does not exist: create a kubernetes.io/dockerconfigjson Secret with read credentials for ${backupHost}, labelled ${USABLE_BY_MANIFESTS_LABEL}: "true"`,
      );
    return pullAuthFile(data, backupHost, where, pushCredential);
  } catch (error) {
    if (spec.rewrite === true) throw error;
    return undefined;
  }
}

/**
 * The workloads of the selected namespaces, plus those elsewhere that this manifest rewrote (to restore).
 * With a `namespaces` list, a namespace that left it is still read while it holds our pull Secret (a live
 * object of this manifest): its rewritten workloads are found and set back before the Secret goes.
 */
export async function observeWorkloads(
  manifestKey: string,
  spec: ImageBackupSpec,
  context: ObserveContext,
): Promise<WorkloadImages[]> {
  const namespaces = await context.listObjects(NAMESPACE_TYPE);
  const labels = new Map(namespaces.map((n) => [n.metadata.name, n.metadata.labels]));
  const selected = (ns: string) => isNamespaceSelected(ns, spec, labels.get(ns));
  const objects: KubeObject[] = [];
  if (spec.namespaces) {
    const pullName = pullSecretName(manifestKey);
    const holding = context.live
      .filter((o) => o.kind === 'Secret' && o.metadata.name === pullName)
      .map((o) => o.metadata.namespace ?? '');
    const listed = new Set([...spec.namespaces.filter(selected), ...holding].filter((ns) => labels.has(ns)));
    for (const type of WORKLOAD_TYPES)
      for (const ns of listed) objects.push(...(await context.listObjects(type, ns)));
  } else {
    for (const type of WORKLOAD_TYPES) objects.push(...(await context.listObjects(type)));
  }
  const workloads: WorkloadImages[] = [];
  for (const object of objects) {
    const isSelected = selected(object.metadata.namespace ?? '');
    const workload = readWorkload(object, isSelected);
    if (!workload) continue;
    if (isSelected || workload.rewrittenBy?.manifest === manifestKey) workloads.push(workload);
  }
  return workloads.sort(byIdentity);
}

export async function observeImageBackup(
  manifest: Manifest<ImageBackupSpec>,
  context: ObserveContext,
): Promise<ImageBackupObserved> {
  const spec = manifest.spec;
  const namespace = manifest.namespace ?? context.namespace;
  const backup = parseBackupRegistry(spec.backupRegistry);
  const workloads = await observeWorkloads(manifest.key, spec, context);
  const { sourceRefs, unreadable } = imagesToBackUp(workloads, spec);
  const pairs = sourceRefs.map((ref) => backupCopyPair(spec, ref));
  const hosts = [backup.registry, ...pairs.map((p) => p.source.registry)];
  const { access, files } = await observeAccessForHosts(hosts, spec, context, namespace);
  const budgets = sourceBudgets(pairs, spec, context, namespace, access);
  const client = new RegistryClient({
    ...budgetClientOptions(context, budgets),
    access: (host) => access.get(host),
    ...(context.signal ? { signal: context.signal } : {}),
    ...(context.registry ? { policy: context.registry } : {}),
  });
  const pullAuth = await observePullAuth(
    spec,
    namespace,
    backup.registry,
    access.get(normaliseRegistryHost(backup.registry))?.credential,
    context,
  );
  const outcomes = await compareCopies(client, pairs, { tolerateErrors: true });
  const images: ImageBackupStatus[] = outcomes.map((outcome) => ({
    sourceRef: outcome.pair.sourceRef,
    backup: backupImageName(spec, outcome.pair.sourceRef),
    state: outcome.state,
    ...('digest' in outcome ? { digest: outcome.digest } : {}),
    ...(outcome.state === 'failed' ? { message: outcome.message } : {}),
  }));
  const sourceOf = new Map(pairs.map((p) => [p.sourceRef, p.source.registry]));
  // Within the sources' pull budgets (pull-budget.ts); the rest deferred.
  const budgeted = budgetBackupCopies(
    context,
    client,
    budgets,
    (ref) => sourceOf.get(ref) ?? '',
    outcomes.flatMap((o) =>
      o.state === 'pending' ? [{ sourceRef: o.pair.sourceRef, digest: o.digest }] : [],
    ),
  );
  const pending = budgeted.pending;
  const replaces = Object.fromEntries(
    outcomes.flatMap((o) =>
      o.state === 'pending' && o.destinationDigest ? [[o.pair.sourceRef, o.destinationDigest]] : [],
    ),
  );
  const count = (state: BackupState) => images.filter((i) => i.state === state).length;
  const { maxJobsPerManifest, tagsPerJob } = context.settings.imageSync;
  const message =
    `${workloads.filter((w) => w.selected).length} workloads, ${images.length} images: ` +
    `${count('upToDate')} backed up, ${count('pending')} to copy` +
    (count('missing') ? `, ${count('missing')} missing at source` : '') +
    (count('failed') ? `, ${count('failed')} unreachable` : '') +
    (unreadable.length ? `, ${unreadable.length} unreadable` : '') +
    ` (at most ${maxJobsPerManifest} Jobs of ${tagsPerJob} images at a time)` +
    describeBudgets(budgeted.budget ?? []) +
    describeJobFailures(await observeJobFailures(context.live, context, namespace), 'copy Job');
  return {
    manifestKey: manifest.key,
    workloads,
    images,
    pending,
    ...(budgeted.budget ? { budget: budgeted.budget } : {}),
    ...(budgeted.budgetDeferred ? { budgetDeferred: budgeted.budgetDeferred } : {}),
    ...(Object.keys(replaces).length > 0 ? { replaces } : {}),
    files,
    ...(pullAuth ? { pullAuth } : {}),
    message,
  };
}
