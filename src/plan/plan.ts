import { type KubeObject, objectKey } from '../core/kube-object.js';
import { appliedHashOf, manifestKeyOf, sourceFileOf } from '../render/stamp.js';
import { assessHealth } from '../status/health.js';

/**
 * Set by an object's owner (never by the config repo) to hand an existing object over to image-gitops. An
 * object carrying it was not created by image-gitops, so image-gitops never deletes it either.
 */
export const ADOPT_ANNOTATION = 'image-gitops.io/adopt';

function adopted(object: KubeObject): boolean {
  return object.metadata.annotations?.[ADOPT_ANNOTATION] === 'true';
}

export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete' | 'kept';

export interface PlanStep {
  action: PlanAction;
  /** The desired object for create/update/unchanged, the live one for delete/kept. */
  object: KubeObject;
  live?: KubeObject;
  manifestKey: string;
  reason: string;
}

export interface PlanInput {
  /** Stamped desired objects, by manifest key. */
  desired: ReadonlyMap<string, KubeObject[]>;
  /** Every live object this instance owns (found by label). */
  live: readonly KubeObject[];
  /** Manifests still in Git but failing (validation, observe or render): their objects are kept. */
  protectedManifests: ReadonlySet<string>;
  /** Files with problems that may hide a manifest (a YAML syntax error): their objects are kept. */
  protectedFiles: ReadonlySet<string>;
  /** Manifests present and valid in Git. */
  presentManifests: ReadonlySet<string>;
  /** uid → version marker recorded after our last apply (see versionMarker). */
  appliedVersions: ReadonlyMap<string, string>;
  /** Refuse to prune more than this share of owned objects (0..1) unless allowPrune. */
  maxPruneShare: number;
  allowPrune: boolean;
  /** When false, objects of removed manifests are kept (PRUNE=false). */
  pruneEnabled?: boolean;
}

export interface Plan {
  steps: PlanStep[];
  /** Set when the prune was refused: the deletes became 'kept'. */
  pruneRefused?: { wouldDelete: number; owned: number; maxShare: number };
}

/**
 * What changed since our last apply, without asking the server: workloads and Jobs bump `generation` on a
 * spec change (status updates do not), objects without a generation (ConfigMap, Secret, Service) change
 * their resourceVersion only when written.
 */
export function versionMarker(object: KubeObject): string {
  const { generation, resourceVersion } = object.metadata;
  return generation !== undefined && generation !== null ? `g${generation}` : `rv${resourceVersion ?? ''}`;
}

function isFinishedJob(object: KubeObject): boolean {
  if (object.kind !== 'Job') return false;
  const health = assessHealth(object).health;
  return health === 'Healthy' || health === 'Failed';
}

/** Desired against live: a pure decision, so that every rule here is unit tested with plain data. */
export function planSync(input: PlanInput): Plan {
  const steps: PlanStep[] = [];
  const liveByKey = new Map(input.live.map((o) => [objectKey(o), o]));
  const desiredKeys = new Set<string>();

  for (const [manifestKey, objects] of input.desired) {
    for (const object of objects) {
      const key = objectKey(object);
      desiredKeys.add(key);
      const live = liveByKey.get(key);
      if (!live) {
        steps.push({ action: 'create', object, manifestKey, reason: 'not in the cluster' });
        continue;
      }
      const sameHash = appliedHashOf(live) === appliedHashOf(object);
      const uid = live.metadata.uid ?? '';
      const untouched = input.appliedVersions.get(uid) === versionMarker(live);
      if (sameHash && untouched) {
        steps.push({ action: 'unchanged', object, live, manifestKey, reason: 'matches the last apply' });
      } else {
        const reason = !sameHash ? 'rendered content changed' : 'changed in the cluster since our last apply';
        steps.push({ action: 'update', object, live, manifestKey, reason });
      }
    }
  }

  const prunes: PlanStep[] = [];
  for (const live of input.live) {
    if (desiredKeys.has(objectKey(live))) continue;
    const manifestKey = manifestKeyOf(live) ?? '';
    const file = sourceFileOf(live) ?? '';
    if (input.protectedManifests.has(manifestKey)) {
      steps.push({
        action: 'kept',
        object: live,
        manifestKey,
        reason: 'its manifest fails; keeping the last good objects',
      });
    } else if (input.protectedFiles.has(file)) {
      steps.push({
        action: 'kept',
        object: live,
        manifestKey,
        reason: `its file ${file} has errors; keeping the last good objects`,
      });
    } else if (adopted(live)) {
      steps.push({
        action: 'kept',
        object: live,
        manifestKey,
        reason: `adopted (${ADOPT_ANNOTATION}), not created by image-gitops: never deleted; delete it by hand if it should go`,
      });
    } else if (input.presentManifests.has(manifestKey)) {
      if (isFinishedJob(live)) {
        steps.push({ action: 'kept', object: live, manifestKey, reason: 'finished Job, left to its TTL' });
      } else {
        steps.push({
          action: 'delete',
          object: live,
          manifestKey,
          reason: 'no longer rendered by its manifest',
        });
      }
    } else {
      prunes.push({ action: 'delete', object: live, manifestKey, reason: 'its manifest left Git' });
    }
  }

  if (input.pruneEnabled === false) {
    for (const step of prunes)
      steps.push({ ...step, action: 'kept', reason: 'pruning is disabled (PRUNE=false)' });
    return { steps };
  }
  const owned = input.live.length;
  const share = owned === 0 ? 0 : prunes.length / owned;
  if (prunes.length > 0 && share > input.maxPruneShare && !input.allowPrune) {
    for (const step of prunes) {
      steps.push({
        ...step,
        action: 'kept',
        reason: 'prune refused: it would delete too much of what is owned',
      });
    }
    return { steps, pruneRefused: { wouldDelete: prunes.length, owned, maxShare: input.maxPruneShare } };
  }
  steps.push(...prunes);
  return { steps };
}
