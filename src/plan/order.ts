import type { KubeObject } from '../core/kube-object.js';

/**
 * Apply order: what others refer to comes first (identity, config and secrets, services), then
 * workloads, then run-to-completion objects. Deletes go in the reverse order.
 */
const TIERS: string[][] = [
  ['Namespace', 'CustomResourceDefinition'],
  ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  ['Secret', 'ConfigMap', 'PersistentVolumeClaim'],
  ['Service'],
  ['StatefulSet', 'Deployment', 'DaemonSet'],
  ['CronJob', 'Job'],
];

export function applyTier(object: Pick<KubeObject, 'kind'>): number {
  const index = TIERS.findIndex((tier) => tier.includes(object.kind));
  return index === -1 ? TIERS.length : index;
}

/** Groups items by tier, in apply order (or reverse for deletes). */
export function byTier<T>(items: T[], kindOf: (item: T) => string, reverse = false): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const tier = applyTier({ kind: kindOf(item) });
    groups.set(tier, [...(groups.get(tier) ?? []), item]);
  }
  const tiers = [...groups.keys()].sort((a, b) => (reverse ? b - a : a - b));
  return tiers.map((t) => groups.get(t)!);
}
