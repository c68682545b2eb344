import type { Settings } from '../config/settings.js';
import type { CommitInfo } from '../core/commit.js';
import type { Problem } from '../core/errors.js';
import type { ImagePlan } from '../core/image-plan.js';
import type { KubeObject, ObjectType } from '../core/kube-object.js';

export type { ImagePlan, PlannedBuild, PlannedCopy, PlannedDeletion } from '../core/image-plan.js';

import type { Manifest } from '../manifests/types.js';
import type { AwsEcrAccess } from '../registry/ecr.js';
import type { RegistryPolicy } from '../registry/limits.js';
import type { PullBudgetBook } from '../registry/pull-budget.js';

/** What a kind's render needs besides the manifest; all plain data, so render stays pure. */
export interface RenderContext<Observed = unknown> {
  /** The namespace objects go to when the manifest names none. */
  namespace: string;
  settings: Settings;
  commit: CommitInfo;
  /** The live objects this manifest owns now (from the engine's LIST), e.g. Jobs still running. */
  live: KubeObject[];
  /** What the kind's observe step found (registry digests, workloads...). */
  observed: Observed;
  /** Files of the config repo at this commit, for kinds that ship content (build contexts). */
  /** Raw bytes, so that binary files in a build context survive. */
  files?: ReadonlyMap<string, Uint8Array>;
}

/** Read-only access to the world that a kind's observe step may use. */
export interface ObserveContext {
  namespace: string;
  settings: Settings;
  live: KubeObject[];
  /** Read a Secret's data (base64-decoded values), or undefined when it does not exist. */
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** List objects of a type, across namespaces when namespace is undefined. */
  listObjects(type: ObjectType, namespace?: string, labelSelector?: string): Promise<KubeObject[]>;
  /** Aborts at this manifest's observe deadline or the sync's: pass it to every I/O call. */
  signal?: AbortSignal;
  /** Registry limits and the retry-wait budget this sync's registry calls share (engine-provided). */
  registry?: RegistryPolicy;
  /** ECR tokens (awsEcr / useAwsIRSA) and public ECR tag paging; default the process-wide one (registry/ecr.ts). */
  awsEcr?: AwsEcrAccess;
  /**
   * What the kind's `remember` kept of this manifest's last observe (stored with the status, so it survives a
   * restart); undefined the first time. Stored data: the kind checks its shape before trusting it.
   */
  previous?: unknown;
  /**
   * The reconciler's prune settings (PRUNE, MAX_PRUNE_SHARE, ALLOW_MASS_PRUNE or `sync --allow-mass-prune`), for
   * a kind that deletes what it made outside the cluster (ImageSync's `prune` of pushed tags): the same guard.
   */
  prune?: { enabled: boolean; maxShare: number; allowMassPrune: boolean };
  /** The reconciler's pull-budget ledger as this sync sees it (registry/pull-budget.ts); none: no budgets. */
  pullBudgets?: PullBudgetBook;
  /** The repo's files at the synced commit, read only (ImageBuild prices its Dockerfile's base pulls). */
  files?: ReadonlyMap<string, Uint8Array>;
}

/**
 * A change to an object the engine does not own (ImageBackup points a workload at its backup copies): planned
 * and shown by `diff` like every change, applied by the same writer, but as a server-side-apply partial object
 * under the kind's own field manager (so that the engine's applies never drop these fields), and never pruned.
 */
export interface ForeignPatch {
  /** Only the fields this kind manages, with the object's uid so that a deleted object is not re-created. */
  patch: KubeObject;
  fieldManager: string;
  reason: { code: ForeignPatchReason; message: string };
}

export type ForeignPatchReason = 'PointToBackup' | 'RestoreOriginal';

export interface ForeignPatches<Spec, Observed> {
  /** Pure: the patches this manifest wants now, from what its observe found (none in a steady state). */
  plan(manifest: Manifest<Spec>, observed: Observed): ForeignPatch[];
  /**
   * Once per sync, with the keys of every manifest of this kind still in Git (valid or not): the undo of what
   * manifests no longer in Git left on foreign objects, each under the key of the manifest that left.
   */
  planLeftBehind(
    presentKeys: ReadonlySet<string>,
    listObjects: ObserveContext['listObjects'],
  ): Promise<Array<ForeignPatch & { manifestKey: string }>>;
}

/** A manifest gone from Git, as the engine knows it then: its key and what its kind remembered of it. */
export interface LeftManifest {
  key: string;
  /** The kind's stored memory (KindDefinition.remember): stored data, the kind checks its shape. */
  memory: unknown;
}

/**
 * What is left to undo outside the cluster of a manifest that left Git (ImageSync's pushed tags, with `prune`),
 * from its memory alone, its spec being gone. The engine keeps the memory of a manifest that left while
 * `pending` says so, runs `step` once per sync until it returns one without memory (or none), and keeps the
 * step's objects meanwhile. Never run while PRUNE=false or the objects' prune is refused: nothing of a
 * removed manifest is undone then, and its memory stays as it is.
 */
export interface Finalizer {
  /** Pure: whether this stored memory of a manifest that left Git has anything left to undo. */
  pending(memory: unknown): boolean;
  /** I/O like observe; the context's `live` is that manifest's objects. */
  step(left: LeftManifest, context: ObserveContext): Promise<Finalizing | undefined>;
}

/** One sync's step of a removed manifest's finalize (Finalizer.step). */
export interface Finalizing {
  /** Stands in for the manifest that left (its name, namespace and file as they were): stamps and status. */
  manifest: Manifest;
  /** The objects still needed (unstamped, e.g. a Job and the Secret it mounts); the others are pruned. */
  objects: KubeObject[];
  /** Kept for the next sync's finalize; absent when done: the memory goes and so do the objects. */
  memory?: unknown;
  /** Plain facts for the status details (only named fields are copied, status/details.ts) and `message`. */
  observed: unknown;
  imagePlan?: ImagePlan;
  /** Why it cannot go on, or gave up: the status fails with it, the objects are kept this sync. */
  problems?: Problem[];
}

/** A schema-checked manifest written in another tool's format, converted to ours by a pure function. */
export interface KindAlias<Spec> {
  apiVersion: string;
  kind: string;
  /** File name under schemas/. */
  schemaFile: string;
  /** The document (already valid against schemaFile) as our spec. */
  convert(document: Record<string, unknown>): Spec;
}

/**
 * One manifest kind: a schema, optional aliases, an optional observe step (I/O) and a pure render.
 * Registered once in kinds/registry.ts; the engine knows nothing else about kinds.
 */
export interface KindDefinition<Spec = unknown, Observed = unknown> {
  kind: string;
  apiVersion: string;
  /** File name under schemas/ for the whole document (apiVersion, kind, metadata, spec). */
  schemaFile: string;
  aliases?: KindAlias<Spec>[];
  /** Checks that a schema cannot express; each problem's field is a path like `/spec/x`. */
  check?(spec: Spec): Array<{ field: string; message: string }>;
  produces: ObjectType[];
  observe?(manifest: Manifest<Spec>, context: ObserveContext): Promise<Observed>;
  /**
   * What to keep of an observe for the next one (`ObserveContext.previous`): plain JSON, compact, and the same
   * when nothing changed (it is stored with the status, and an unchanged status costs no write). Undefined
   * keeps what was kept before.
   */
  remember?(observed: Observed): unknown;
  render(manifest: Manifest<Spec>, context: RenderContext<Observed>): KubeObject[];
  /**
   * Render reads the commit or the repo's files (`RenderContext.commit`, `.files`), not only the manifest,
   * settings, live objects and observed state: its result is then reused within one commit only.
   */
  rendersFromCommit?: true;
  foreign?: ForeignPatches<Spec, Observed>;
  /** What is left to undo outside the cluster once a manifest has left Git (ImageSync's pushed tags). */
  finalize?: Finalizer;
  /** What this manifest would do to images, from the same inputs as render and what render returned. */
  imagePlan?(manifest: Manifest<Spec>, context: RenderContext<Observed>, objects: KubeObject[]): ImagePlan;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of every spec type
export type AnyKindDefinition = KindDefinition<any, any>;
