import type { KubeObject } from '../core/kube-object.js';
import { count, type Health, healthOf, notObserved, specOf } from './common.js';

interface StatefulSetSpec {
  replicas?: number;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
}

function revision(sts: KubeObject, field: 'currentRevision' | 'updateRevision'): string | undefined {
  return (sts.status as Record<string, string | undefined> | undefined)?.[field];
}

/**
 * As gitops-engine's health_statefulset.go: ready pods first; then a rolling update by its updated count
 * (above the partition), OnDelete as Healthy (its pods change revision only when deleted, so waiting for
 * them would never end; the message says how many wait), any other by current against update revision.
 */
export function statefulSetHealth(sts: KubeObject): Health {
  const spec = specOf<StatefulSetSpec>(sts);
  if (count(sts, 'observedGeneration') === 0 || notObserved(sts))
    return healthOf('Progressing', 'rollout not observed yet');
  const want = spec.replicas ?? 1;
  const ready = count(sts, 'readyReplicas');
  if (ready < want) return healthOf('Progressing', `${ready}/${want} pods ready`);
  const updated = count(sts, 'updatedReplicas');
  const strategy = spec.updateStrategy?.type ?? 'RollingUpdate';
  if (strategy === 'RollingUpdate' && spec.updateStrategy?.rollingUpdate) {
    const toUpdate = want - (spec.updateStrategy.rollingUpdate.partition ?? 0);
    if (updated < toUpdate) return healthOf('Progressing', `${updated}/${toUpdate} pods updated`);
    return healthOf('Healthy');
  }
  const current = revision(sts, 'currentRevision');
  const update = revision(sts, 'updateRevision');
  if (strategy === 'OnDelete') {
    return current !== update
      ? healthOf(
          'Healthy',
          `OnDelete: pods move to revision ${update} when deleted (${updated}/${want} there)`,
        )
      : healthOf('Healthy');
  }
  if (current !== update)
    return healthOf('Progressing', `${updated}/${want} pods at revision ${update ?? '?'}`);
  return healthOf('Healthy');
}
