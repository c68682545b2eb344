import type { KubeObject } from '../../core/kube-object.js';
import { DOMAIN } from '../../core/labels.js';
import { assessHealth } from '../../health/index.js';

/** On the pod template: changing it makes the DaemonSet controller replace every pod (a rollout restart). */
export const RECREATED_AT_ANNOTATION = `${DOMAIN}/recreated-at`;

export interface RecreateDecision {
  /** Annotations for the pod template. */
  template: Record<string, string>;
  /** Set when this render re-creates the pods. */
  recreatedAt?: string;
}

function validTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

/**
 * Since when the earliest of these pods has not been ready (its Ready condition's last transition, or its
 * creation when it never had one); undefined when all are ready. Pods being deleted do not count.
 */
export function unreadySince(pods: KubeObject[]): string | undefined {
  let earliest: { ms: number; text: string } | undefined;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const conditions = ((pod.status as { conditions?: PodCondition[] } | undefined)?.conditions ??
      []) as PodCondition[];
    const ready = conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') continue;
    const text = (ready?.lastTransitionTime ?? pod.metadata.creationTimestamp) as string | undefined;
    const ms = validTime(text);
    if (ms !== undefined && text && (!earliest || ms < earliest.ms)) earliest = { ms, text };
  }
  return earliest?.text;
}

/**
 * kubernetes-image-puller checked its DaemonSet's health every CACHING_INTERVAL_HOURS and re-created an
 * unhealthy one. Here, through the normal apply path: when the DaemonSet is not Healthy (gitops-engine's
 * rule: every selected node runs an updated, available pod) and one of its pods has not been ready for
 * `boundMs`, the pod template gets a new annotation, so the DaemonSet controller replaces its pods (stuck,
 * unavailable ones at once, the others one node at a time). The DaemonSet itself is never deleted, so no
 * node loses its pod to a failed create; and no second re-creation comes within `boundMs` of the last.
 *
 * Pure: `now` and the pods' unready time come from the kind's observe step. Without them (or with `never`),
 * the decision only keeps the stamp the live DaemonSet already has, so a render changes nothing by itself
 * and an unhealthy DaemonSet costs no write until it is re-created.
 */
export function decideRecreate(
  live: KubeObject | undefined,
  boundMs: number | undefined,
  now: string | undefined,
  podsUnreadySince: string | undefined,
): RecreateDecision {
  const liveTemplate = (live?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } })
    ?.template?.metadata?.annotations;
  const previous = liveTemplate?.[RECREATED_AT_ANNOTATION];
  const kept: RecreateDecision = { template: previous ? { [RECREATED_AT_ANNOTATION]: previous } : {} };
  const nowMs = validTime(now);
  const sinceMs = validTime(podsUnreadySince);
  if (!live || boundMs === undefined || nowMs === undefined || sinceMs === undefined || !now) return kept;
  const health = assessHealth(live).health;
  if (health === 'Healthy' || health === 'Suspended') return kept;
  if (nowMs - sinceMs < boundMs) return kept;
  const lastMs = validTime(previous);
  if (lastMs !== undefined && nowMs - lastMs < boundMs) return kept;
  return { template: { [RECREATED_AT_ANNOTATION]: now }, recreatedAt: now };
}
