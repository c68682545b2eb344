import { canonicalJson } from '../core/hash.js';
import type { Logger } from '../core/logger.js';
import type { KubeApi } from '../kube/types.js';
import { conditionOf } from './conditions.js';
import type { ConditionReason, ManifestStatus } from './types.js';

/** At most this many Events per sync: a broken repo must not flood the API server. */
const MAX_EVENTS_PER_SYNC = 20;

interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

type StatusEvent = { type: 'Normal' | 'Warning'; reason: ConditionReason; message: string };

/**
 * The Events worth sending, from the stored (previous) status and this sync's status. Pure. The reason of
 * each is the reason of the manifest's Ready condition (src/status/conditions.ts):
 * - Warning when Ready turns False (invalid, failed, an object unhealthy), or its reason or problems change;
 *   the message says when a retry cannot help (Stalled);
 * - Normal when this sync applied or pruned objects of it, or when Ready is no longer False.
 * A sync that wrote nothing for a manifest sends nothing, whatever the commit (a refused prune included).
 */
export function statusChanges(previous: ManifestStatus[], next: ManifestStatus[]): StatusEvent[] {
  const before = new Map(previous.map((s) => [s.key, s]));
  const changes: StatusEvent[] = [];
  for (const status of next) {
    const old = before.get(status.key);
    const ready = conditionOf(status, 'Ready')!;
    const wasReady = old && conditionOf(old, 'Ready');
    const about = `${status.key}${status.file ? ` (${status.file})` : ''} at ${status.commit.slice(0, 12)} by ${status.author}`;
    if (ready.status === 'False') {
      // Canonical: problems read back from the store have their keys sorted, fresh ones do not.
      const sameProblems = canonicalJson(old?.problems ?? []) === canonicalJson(status.problems);
      const same = wasReady?.status === 'False' && wasReady.reason === ready.reason;
      if (old && old.result === status.result && same && sameProblems) continue;
      const stalled = conditionOf(status, 'Stalled');
      changes.push({
        type: 'Warning',
        reason: ready.reason,
        message: `${about}: ${ready.message}${stalled?.status === 'True' ? ` (Stalled: ${stalled.message})` : ''}`,
      });
    } else if (
      status.objects.some((o) => o.outcome === 'applied' || o.outcome === 'pruned') ||
      wasReady?.status === 'False'
    ) {
      changes.push({
        type: 'Normal',
        reason: ready.reason,
        message: `${about}: ${status.message || ready.message}`,
      });
    }
  }
  return changes;
}

/** Sends the Events about the status ConfigMap; a failure to send is logged, never fatal. */
export async function emitStatusEvents(
  kube: KubeApi,
  target: EventTarget,
  previous: ManifestStatus[],
  next: ManifestStatus[],
  log: Logger,
): Promise<void> {
  const changes = statusChanges(previous, next).slice(0, MAX_EVENTS_PER_SYNC);
  const now = new Date().toISOString();
  for (const change of changes) {
    await kube
      .create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: 'image-gitops-', namespace: target.namespace } as never,
        involvedObject: {
          apiVersion: target.apiVersion,
          kind: target.kind,
          namespace: target.namespace,
          name: target.name,
        },
        reason: change.reason,
        message: change.message.slice(0, 1024),
        type: change.type,
        source: { component: 'image-gitops' },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      })
      .catch((error: unknown) => log.warn('event not sent', { error: String(error) }));
  }
}
