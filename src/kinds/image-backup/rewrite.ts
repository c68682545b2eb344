/**
 * The opt-in rewrite of workloads to their backup copies, and its undo. Workloads are not ours: they are
 * never rendered as owned objects (the engine would prune them). Instead a pure plan gives, per workload, a
 * server-side-apply partial object holding only the container image fields and two annotations, which the
 * engine plans and applies as foreign changes (kinds/types.ts ForeignPatch) with the separate field manager
 * `image-gitops-backup-rewrite`.
 *
 * - Rewrite (`rewrite: true`): a container is pointed at its backup copy once that copy's digest equals the
 *   source's; its original image goes into `image-gitops.io/original-images` ({"<container>": "<image>"}) and
 *   `image-gitops.io/backup-rewrite` records the manifest and backup registry. A container already rewritten
 *   stays so while a newer copy is pending. With `pullSecret`, the patch also holds one imagePullSecrets entry,
 *   our pull Secret (pull-secret.ts): imagePullSecrets is a list map keyed by name, so our field manager owns
 *   that entry only and the workload's own pull Secrets stay. A bare Pod's imagePullSecrets cannot change,
 *   so with `pullSecret` bare Pods are backed up but not rewritten (one rewritten before is set back).
 * - Undo (`rewrite: false`, a workload leaving the selection, or the manifest removed): the containers still
 *   running our rewrite get their original image back, and the annotations and our imagePullSecrets entry
 *   are dropped (our manager no longer applies them, so the API server removes them). Containers someone changed since are left alone.
 * Jobs (immutable pod template) and objects with a controlling owner are never rewritten.
 */
import type { KubeObject } from '../../core/kube-object.js';
import type { ObserveContext } from '../types.js';
import { canonicalRef, originalImage } from './images.js';
import { isInBackupRegistry, rewrittenImage } from './naming.js';
import type { ImageBackupObserved } from './observe.js';
import { pullSecretName } from './pull-secret.js';
import type { ImageBackupSpec } from './types.js';
import {
  type ContainerImage,
  ORIGINAL_IMAGES_ANNOTATION,
  REWRITTEN_BY_ANNOTATION,
  type RewriteRecord,
  readWorkload,
  WORKLOAD_TYPES,
  type WorkloadImages,
  workloadType,
} from './workloads.js';

/** The field manager of rewrites: not the engine's, so that its applies never drop these fields. */
export const REWRITE_FIELD_MANAGER = 'image-gitops-backup-rewrite';

export interface WorkloadRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface WorkloadRewrite {
  object: WorkloadRef;
  action: 'rewrite' | 'restore';
  /** The server-side-apply partial object: image fields, annotations and our imagePullSecrets entry only. */
  patch: KubeObject;
}

function refOf(w: WorkloadImages): WorkloadRef {
  return { apiVersion: w.apiVersion, kind: w.kind, namespace: w.namespace, name: w.name };
}

function sortedJson(map: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function safeRewrittenImage(record: RewriteRecord, image: string): string | undefined {
  try {
    return rewrittenImage(record, image);
  } catch {
    return undefined;
  }
}

/**
 * The SSA partial object: apiVersion, kind, metadata {name, namespace, uid, annotations?}, container images,
 * and `imagePullSecrets: [{name: pullSecret}]` when given.
 */
export function rewritePatch(
  workload: WorkloadImages,
  containers: readonly ContainerImage[],
  annotations?: Record<string, string>,
  pullSecret?: string,
): KubeObject {
  const patch: KubeObject = {
    apiVersion: workload.apiVersion,
    kind: workload.kind,
    metadata: {
      name: workload.name,
      namespace: workload.namespace,
      // A uid makes the apply fail rather than create the object when it was deleted meanwhile.
      ...(workload.uid ? { uid: workload.uid } : {}),
      ...(annotations ? { annotations } : {}),
    },
  };
  const entries = (init: boolean) =>
    containers.filter((c) => c.init === init).map(({ name, image }) => ({ name, image }));
  const podSpec: Record<string, unknown> = {};
  if (entries(true).length) podSpec.initContainers = entries(true);
  if (entries(false).length) podSpec.containers = entries(false);
  if (pullSecret && Object.keys(podSpec).length > 0) podSpec.imagePullSecrets = [{ name: pullSecret }];
  if (Object.keys(podSpec).length === 0) return patch;
  const path = workloadType(workload.kind)?.podSpecPath ?? ['spec'];
  let node: Record<string, unknown> = patch;
  path.forEach((key, i) => {
    const next = i === path.length - 1 ? podSpec : {};
    node[key] = next;
    node = next;
  });
  return patch;
}

/** Undo of one workload this manifest rewrote: original images back, annotations gone. */
function restoreOf(workload: WorkloadImages): WorkloadRewrite | undefined {
  const record = workload.rewrittenBy;
  if (!record) return undefined;
  const restored = workload.containers.flatMap((c) => {
    const original = workload.originals[c.name];
    const ours = original && c.image === safeRewrittenImage(record, original);
    return ours ? [{ ...c, image: original }] : [];
  });
  return { object: refOf(workload), action: 'restore', patch: rewritePatch(workload, restored) };
}

/** The containers a rewrite manages (pointed at their copies, or kept there) and their original images. */
function desiredRewrite(
  workload: WorkloadImages,
  record: RewriteRecord,
  backedUp: ReadonlySet<string>,
): { managed: ContainerImage[]; originals: Record<string, string> } {
  const managed: ContainerImage[] = [];
  const originals: Record<string, string> = {};
  for (const c of workload.containers) {
    const original = originalImage(workload, c);
    const ref = canonicalRef(original);
    if (!ref || isInBackupRegistry(record, ref)) continue;
    // Ready: point at the copy. Rewritten before (under any backup registry): keep our value meanwhile.
    const image = backedUp.has(ref) ? rewrittenImage(record, original) : c.image;
    if (image === original) continue;
    managed.push({ ...c, image });
    originals[c.name] = original;
  }
  return { managed, originals };
}

/** A Pod's imagePullSecrets are fixed at creation: it cannot be given our pull Secret. */
function canRewrite(workload: WorkloadImages, record: RewriteRecord): boolean {
  return !(record.pullSecret && workload.kind === 'Pod');
}

function rewriteOf(
  workload: WorkloadImages,
  record: RewriteRecord,
  backedUp: ReadonlySet<string>,
): WorkloadRewrite | undefined {
  const { managed, originals } = canRewrite(workload, record)
    ? desiredRewrite(workload, record, backedUp)
    : { managed: [], originals: {} };
  if (managed.length === 0) return workload.rewrittenBy ? restoreOf(workload) : undefined;
  const pullSecret = record.pullSecret;
  const unchanged =
    managed.every((m) => workload.containers.some((c) => c.name === m.name && c.image === m.image)) &&
    sortedJson(originals) === sortedJson(workload.originals) &&
    workload.rewrittenBy?.manifest === record.manifest &&
    workload.rewrittenBy.backupRegistry === record.backupRegistry &&
    (workload.rewrittenBy.naming ?? 'nested') === (record.naming ?? 'nested') &&
    workload.rewrittenBy.pullSecret === pullSecret &&
    (!pullSecret || workload.pullSecrets.includes(pullSecret));
  if (unchanged) return undefined;
  const annotations = {
    [ORIGINAL_IMAGES_ANNOTATION]: sortedJson(originals),
    [REWRITTEN_BY_ANNOTATION]: JSON.stringify(record),
  };
  const patch = rewritePatch(workload, managed, annotations, pullSecret);
  return { object: refOf(workload), action: 'rewrite', patch };
}

type RewriteSpec = Pick<ImageBackupSpec, 'backupRegistry' | 'rewrite' | 'naming'>;

/** What this manifest writes on the workloads it rewrites, and the sources whose copies are ready. */
function rewriteInputs(
  observed: ImageBackupObserved,
  spec: RewriteSpec,
): { record: RewriteRecord; backedUp: Set<string> } {
  const backedUp = new Set(observed.images.filter((i) => i.state === 'upToDate').map((i) => i.sourceRef));
  const record: RewriteRecord = { manifest: observed.manifestKey, backupRegistry: spec.backupRegistry };
  if (spec.naming === 'flat') record.naming = 'flat';
  if (observed.pullAuth) record.pullSecret = pullSecretName(observed.manifestKey);
  return { record, backedUp };
}

/** Workloads this manifest may rewrite or undo: not Jobs, not controlled, not another manifest's. */
function oursToPlan(observed: ImageBackupObserved): WorkloadImages[] {
  return observed.workloads.filter(
    (w) => w.rewritable && (!w.rewrittenBy || w.rewrittenBy.manifest === observed.manifestKey),
  );
}

/**
 * The rewrites (or undos) this manifest wants now: a workload changes only when its desired images or
 * annotations differ from what it has. Workloads another ImageBackup rewrote are left to that manifest.
 */
export function planWorkloadRewrites(observed: ImageBackupObserved, spec: RewriteSpec): WorkloadRewrite[] {
  const { record, backedUp } = rewriteInputs(observed, spec);
  const plan: WorkloadRewrite[] = [];
  for (const workload of oursToPlan(observed)) {
    const step =
      spec.rewrite === true && workload.selected
        ? rewriteOf(workload, record, backedUp)
        : restoreOf(workload);
    if (step) plan.push(step);
  }
  return plan;
}

/**
 * The namespaces that need our pull Secret: those of the workloads this sync's plan leaves running backup
 * copies, and of those still carrying our entry until their undo is applied (after the engine's prune), so
 * that the Secret goes one sync after the last workload of its namespace let go of it. None without pullAuth.
 */
export function pullSecretNamespaces(observed: ImageBackupObserved, spec: RewriteSpec): string[] {
  const { record, backedUp } = rewriteInputs(observed, spec);
  if (!record.pullSecret) return [];
  const namespaces = new Set<string>();
  for (const workload of oursToPlan(observed)) {
    const carries =
      workload.rewrittenBy?.pullSecret === record.pullSecret &&
      workload.pullSecrets.includes(record.pullSecret);
    const willCarry =
      spec.rewrite === true &&
      workload.selected &&
      canRewrite(workload, record) &&
      desiredRewrite(workload, record, backedUp).managed.length > 0;
    if (carries || willCarry) namespaces.add(workload.namespace);
  }
  return [...namespaces].sort();
}

/** Every workload in the cluster that some ImageBackup rewrote (for undoing removed manifests). */
export async function observeRewrittenWorkloads(
  listObjects: ObserveContext['listObjects'],
): Promise<WorkloadImages[]> {
  const found: WorkloadImages[] = [];
  for (const type of WORKLOAD_TYPES) {
    if (!type.rewritable) continue;
    for (const object of await listObjects(type)) {
      const workload = readWorkload(object, false);
      if (workload?.rewrittenBy) found.push(workload);
    }
  }
  return found;
}

/**
 * Undos for the workloads rewritten by ImageBackup manifests that are gone (keys not in `activeKeys`), each
 * with the key of the manifest that rewrote it.
 */
export function planWorkloadRestores(
  workloads: readonly WorkloadImages[],
  activeKeys: ReadonlySet<string>,
): Array<WorkloadRewrite & { manifest: string }> {
  return workloads.flatMap((w) => {
    if (!w.rewrittenBy || activeKeys.has(w.rewrittenBy.manifest)) return [];
    const step = restoreOf(w);
    return step ? [{ ...step, manifest: w.rewrittenBy.manifest }] : [];
  });
}
