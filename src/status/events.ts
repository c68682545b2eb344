import { formatProblem } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import type { KubeApi } from '../kube/types.js';
import type { Logger } from '../run/logger.js';
import type { ManifestStatus } from './types.js';

/** At most this many Events per sync: a broken repo must not flood the API server. */
const MAX_EVENTS_PER_SYNC = 20;

interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

type StatusEvent = { type: 'Normal' | 'Warning'; reason: string; message: string };

/**
 * The Events worth sending, from the stored (previous) status and this sync's status. Pure.
 * - Warning when a manifest becomes Invalid/Failed or its problems change;
 * - Normal when this sync applied or pruned objects of it, or when it recovered from a failure.
 * A sync that wrote nothing for a manifest sends nothing, whatever the commit (a refused prune included).
 */
export function statusChanges(previous: ManifestStatus[], next: ManifestStatus[]): StatusEvent[] {
  const before = new Map(previous.map((s) => [s.key, s]));
  const changes: StatusEvent[] = [];
  for (const status of next) {
    const old = before.get(status.key);
    const failing = (s: ManifestStatus | undefined) => s?.result === 'Invalid' || s?.result === 'Failed';
    if (failing(status)) {
      // Canonical: problems read back from the store have their keys sorted, fresh ones do not.
      const sameProblems = canonicalJson(old?.problems ?? []) === canonicalJson(status.problems);
      if (old && old.result === status.result && sameProblems) continue;
      const first = status.problems[0];
      changes.push({
        type: 'Warning',
        reason: status.result === 'Invalid' ? 'ManifestInvalid' : 'ManifestFailed',
        message: `${status.key} (${status.file}) at ${status.commit.slice(0, 12)} by ${status.author}: ${first ? formatProblem(first) : status.message}`,
      });
    } else if (
      status.objects.some((o) => o.outcome === 'applied' || o.outcome === 'pruned') ||
      failing(old)
    ) {
      const where = status.file ? ` (${status.file})` : '';
      changes.push({
        type: 'Normal',
        reason: 'ManifestApplied',
        message: `${status.key}${where} at ${status.commit.slice(0, 12)} by ${status.author}: ${status.message}`,
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
