/**
 * The workloads whose images are backed up, and the images they use, read from live objects. Pure.
 * Pods and Jobs with a controlling owner are skipped (their owner, a Deployment's ReplicaSet, a CronJob...,
 * is covered); so are image-gitops's own objects (their images come from Settings).
 */
import type { KubeObject, ObjectType } from '../../core/kube-object.js';
import { DOMAIN, LABELS, MANAGER_NAME } from '../../core/labels.js';
import type { BackupNaming } from './naming.js';

export interface WorkloadType extends ObjectType {
  /** Where the pod spec is inside the object. */
  podSpecPath: readonly string[];
  /** A Job's pod template is immutable: its images are backed up, never rewritten. */
  rewritable: boolean;
}

export const WORKLOAD_TYPES: readonly WorkloadType[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', podSpecPath: ['spec', 'template', 'spec'], rewritable: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', podSpecPath: ['spec', 'template', 'spec'], rewritable: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', podSpecPath: ['spec', 'template', 'spec'], rewritable: true },
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    podSpecPath: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    rewritable: true,
  },
  { apiVersion: 'batch/v1', kind: 'Job', podSpecPath: ['spec', 'template', 'spec'], rewritable: false },
  { apiVersion: 'v1', kind: 'Pod', podSpecPath: ['spec'], rewritable: true },
];

/** On a rewritten workload: the original image of each rewritten container, `{"<container>": "<image>"}`. */
export const ORIGINAL_IMAGES_ANNOTATION = `${DOMAIN}/original-images`;
/**
 * On a rewritten workload: `{"manifest": "<ImageBackup key>", "backupRegistry": "<registry/path>"}`, plus
 * `"pullSecret": "<Secret name>"` when the rewrite added that entry to the pod's imagePullSecrets.
 */
export const REWRITTEN_BY_ANNOTATION = `${DOMAIN}/backup-rewrite`;
/** A namespace with this label set to `disabled` is left alone. */
export const NAMESPACE_BACKUP_LABEL = `${DOMAIN}/backup`;
/**
 * image-cloner-controller's opt-out: its webhooks skipped namespaces labelled
 * `validate-backups.image-cloner.io=disable`; such a namespace is left alone here too.
 */
export const IMAGE_CLONER_OPT_OUT_LABEL = 'validate-backups.image-cloner.io';
export const DEFAULT_IGNORED_NAMESPACES = ['kube-system'] as const;

export interface ContainerImage {
  name: string;
  image: string;
  init: boolean;
}

export interface RewriteRecord {
  manifest: string;
  backupRegistry: string;
  /** How the copies are named (absent: nested, image-clone-controller's scheme). */
  naming?: BackupNaming;
  /** The pull Secret (in the workload's namespace) the rewrite added to imagePullSecrets. */
  pullSecret?: string;
}

/** What observe keeps of one workload: plain data, enough to back up its images and plan a rewrite. */
export interface WorkloadImages {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  containers: ContainerImage[];
  /** The names in the pod spec's imagePullSecrets, ours and the workload's own. */
  pullSecrets: string[];
  /** The original-images annotation ({} when absent or unreadable). */
  originals: Record<string, string>;
  rewrittenBy?: RewriteRecord;
  /** False for Jobs and for objects a controller owns (that controller would undo a rewrite). */
  rewritable: boolean;
  /** False for a workload outside the selection kept only because this manifest rewrote it: it is restored. */
  selected: boolean;
}

export function workloadType(kind: string): WorkloadType | undefined {
  return WORKLOAD_TYPES.find((t) => t.kind === kind);
}

function podSpecOf(object: KubeObject, type: WorkloadType): Record<string, unknown> | undefined {
  let node: unknown = object;
  for (const key of type.podSpecPath) node = (node as Record<string, unknown> | undefined)?.[key];
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

/** The names listed in a workload's imagePullSecrets. */
export function imagePullSecretNames(object: KubeObject): string[] {
  const type = workloadType(object.kind);
  const list = type ? podSpecOf(object, type)?.imagePullSecrets : undefined;
  return Array.isArray(list)
    ? list.flatMap((ref: { name?: unknown }) => (typeof ref?.name === 'string' ? [ref.name] : []))
    : [];
}

/** The containers and initContainers of a workload's pod spec, in that order. */
export function containerImages(object: KubeObject): ContainerImage[] {
  const type = workloadType(object.kind);
  const pod = type ? podSpecOf(object, type) : undefined;
  const read = (list: unknown, init: boolean): ContainerImage[] =>
    Array.isArray(list)
      ? list
          .filter(
            (c): c is { name: string; image: string } =>
              typeof c?.name === 'string' && typeof c?.image === 'string',
          )
          .map((c) => ({ name: c.name, image: c.image, init }))
      : [];
  return [...read(pod?.initContainers, true), ...read(pod?.containers, false)];
}

function hasController(object: KubeObject): boolean {
  const owners = (object.metadata.ownerReferences ?? []) as Array<{ controller?: boolean }>;
  return owners.some((o) => o.controller === true);
}

function isOurs(object: KubeObject): boolean {
  return object.metadata.labels?.[LABELS.managedBy] === MANAGER_NAME;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function readOriginals(object: KubeObject): Record<string, string> {
  const parsed = parseJson<unknown>(object.metadata.annotations?.[ORIGINAL_IMAGES_ANNOTATION]);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
}

function readRewrittenBy(object: KubeObject): RewriteRecord | undefined {
  const parsed = parseJson<Partial<RewriteRecord>>(object.metadata.annotations?.[REWRITTEN_BY_ANNOTATION]);
  if (typeof parsed?.manifest !== 'string' || typeof parsed.backupRegistry !== 'string') return undefined;
  const record: RewriteRecord = { manifest: parsed.manifest, backupRegistry: parsed.backupRegistry };
  if (parsed.naming === 'flat') record.naming = 'flat';
  if (typeof parsed.pullSecret === 'string') record.pullSecret = parsed.pullSecret;
  return record;
}

/**
 * The workload view of a live object, or undefined when it is skipped: not a workload type, a Pod or Job
 * with a controlling owner, one of image-gitops's own objects, or being deleted.
 */
export function readWorkload(object: KubeObject, selected = true): WorkloadImages | undefined {
  const type = workloadType(object.kind);
  if (!type || type.apiVersion !== object.apiVersion) return undefined;
  const controlled = hasController(object);
  if ((object.kind === 'Pod' || object.kind === 'Job') && controlled) return undefined;
  if (isOurs(object) || object.metadata.deletionTimestamp) return undefined;
  const rewrittenBy = readRewrittenBy(object);
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
    ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
    containers: containerImages(object),
    pullSecrets: imagePullSecretNames(object),
    originals: readOriginals(object),
    ...(rewrittenBy ? { rewrittenBy } : {}),
    rewritable: type.rewritable && !controlled,
    selected,
  };
}

/** Which namespaces a spec selects, given the namespaces and their labels. */
export interface NamespaceSelection {
  namespaces?: readonly string[];
  ignoreNamespaces?: readonly string[];
}

/**
 * True when workloads of `namespace` are backed up: listed in `namespaces` (or no list), not in
 * `ignoreNamespaces`, not `kube-system` unless listed explicitly, not labelled `image-gitops.io/backup=disabled`.
 */
export function isNamespaceSelected(
  namespace: string,
  selection: NamespaceSelection,
  labels: Record<string, string> | undefined,
): boolean {
  if (labels?.[NAMESPACE_BACKUP_LABEL] === 'disabled') return false;
  if (labels?.[IMAGE_CLONER_OPT_OUT_LABEL] === 'disable') return false;
  if ((selection.ignoreNamespaces ?? []).includes(namespace)) return false;
  if (selection.namespaces) return selection.namespaces.includes(namespace);
  return !(DEFAULT_IGNORED_NAMESPACES as readonly string[]).includes(namespace);
}
