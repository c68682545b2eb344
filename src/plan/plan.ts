import { type KubeObject, objectKey } from '../core/kube-object.js';
import { jobPhase } from '../health/job-status.js';
import { appliedHashOf, manifestKeyOf, sourceFileOf } from '../render/stamp.js';
import type { Change, ChangeReason, ChangeReasonCode } from './change.js';

export type { Change, ChangeAction, ChangeReason } from './change.js';

/**
 * Set by an object's owner (never by the config repo) to hand an existing object over to image-gitops. An
 * object carrying it was not created by image-gitops, so image-gitops never deletes it either.
 */
export const ADOPT_ANNOTATION = 'image-gitops.io/adopt';

function adopted(object: KubeObject): boolean {
  return object.metadata.annotations?.[ADOPT_ANNOTATION] === 'true';
}

const because = (code: ChangeReasonCode, message: string): ChangeReason => ({ code, message });

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
  /**
   * uid → version marker recorded after our last apply (see versionMarker): a Map, or a lookup over the
   * stored record (no copy of its 20,000 entries each sync).
   */
  appliedVersions: Pick<ReadonlyMap<string, string>, 'get'>;
  /** Refuse to prune more than this share of owned objects (0..1) unless allowPrune. */
  maxPruneShare: number;
  allowPrune: boolean;
  /** When false, objects of removed manifests are kept (PRUNE=false). */
  pruneEnabled?: boolean;
}

export interface Plan {
  changes: Change[];
  /** Set when the prune was refused: the deletes became 'keep'. */
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
  return object.kind === 'Job' && jobPhase(object).phase !== 'Active';
}

/** Desired against live: a pure decision, so that every rule here is unit tested with plain data. */
export function planSync(input: PlanInput): Plan {
  const changes: Change[] = [];
  const liveByKey = new Map(input.live.map((o) => [objectKey(o), o]));
  const desiredKeys = new Set<string>();

  for (const [manifestKey, objects] of input.desired) {
    for (const object of objects) {
      const key = objectKey(object);
      desiredKeys.add(key);
      const live = liveByKey.get(key);
      if (!live) {
        changes.push({
          action: 'create',
          object,
          manifestKey,
          reason: because('NotInCluster', 'not in the cluster'),
        });
        continue;
      }
      const sameHash = appliedHashOf(live) === appliedHashOf(object);
      const uid = live.metadata.uid ?? '';
      const untouched = input.appliedVersions.get(uid) === versionMarker(live);
      if (sameHash && untouched) {
        changes.push({
          action: 'unchanged',
          object,
          live,
          manifestKey,
          reason: because('MatchesLastApply', 'matches the last apply'),
        });
      } else {
        const reason = !sameHash
          ? because('RenderedChanged', 'rendered content changed')
          : because('ChangedInCluster', 'changed in the cluster since our last apply');
        changes.push({ action: 'update', object, live, manifestKey, reason });
      }
    }
  }

  const prunes: Change[] = [];
  for (const live of input.live) {
    if (desiredKeys.has(objectKey(live))) continue;
    const manifestKey = manifestKeyOf(live) ?? '';
    const file = sourceFileOf(live) ?? '';
    if (input.protectedManifests.has(manifestKey)) {
      changes.push({
        action: 'keep',
        object: live,
        manifestKey,
        reason: because('ManifestFailing', 'its manifest fails; keeping the last good objects'),
      });
    } else if (input.protectedFiles.has(file)) {
      changes.push({
        action: 'keep',
        object: live,
        manifestKey,
        reason: because('FileBroken', `its file ${file} has errors; keeping the last good objects`),
      });
    } else if (adopted(live)) {
      changes.push({
        action: 'keep',
        object: live,
        manifestKey,
        reason: because(
          'Adopted',
          `adopted (${ADOPT_ANNOTATION}), not created by image-gitops: never deleted; delete it by hand if it should go`,
        ),
      });
    } else if (input.presentManifests.has(manifestKey)) {
      if (isFinishedJob(live)) {
        changes.push({
          action: 'keep',
          object: live,
          manifestKey,
          reason: because('FinishedJob', 'finished Job, left to its TTL'),
        });
      } else {
        changes.push({
          action: 'delete',
          object: live,
          manifestKey,
          reason: because('NoLongerRendered', 'no longer rendered by its manifest'),
        });
      }
    } else {
      prunes.push({
        action: 'delete',
        object: live,
        manifestKey,
        reason: because('ManifestLeftGit', 'its manifest left Git'),
      });
    }
  }

  if (input.pruneEnabled === false) {
    for (const change of prunes)
      changes.push({
        ...change,
        action: 'keep',
        reason: because('PruneDisabled', 'pruning is disabled (PRUNE=false)'),
      });
    return { changes };
  }
  const owned = input.live.length;
  const share = owned === 0 ? 0 : prunes.length / owned;
  if (prunes.length > 0 && share > input.maxPruneShare && !input.allowPrune) {
    for (const change of prunes) {
      changes.push({
        ...change,
        action: 'keep',
        reason: because('PruneRefused', 'prune refused: it would delete too much of what is owned'),
      });
    }
    return { changes, pruneRefused: { wouldDelete: prunes.length, owned, maxShare: input.maxPruneShare } };
  }
  changes.push(...prunes);
  return { changes };
}
