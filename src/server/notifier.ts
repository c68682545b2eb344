import { createHash, createHmac } from 'node:crypto';
import type { NotifierSettings } from '../config/observability.js';
import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import { formatProblem } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { type Logger, redactText, silentLogger } from '../core/logger.js';
import type { ManifestStatus } from '../status/types.js';
import { sourceLink } from './page.js';

/**
 * The webhook notifier: one POST per manifest status change, in a Slack-compatible body (`text` and
 * `blocks`, which Slack, Mattermost and Rocket.Chat read) or our own JSON. A change is a manifest that
 * starts failing (Invalid, Failed), fails differently (other problems), or recovers; the stored status is
 * the memory, so a restart, or a sync that repeats the last one, sends nothing. Deliveries leave in order
 * from one queue, off the sync's path; each has an id (`X-Image-Gitops-Delivery`, the same on every retry)
 * and is sent until one attempt is answered 2xx, at most 1 + retries times, never again after that.
 */
export type ChangeKind = 'failing' | 'problems-changed' | 'recovered';

export interface StatusChange {
  /** Stable for one change of one manifest: the delivery's id. */
  id: string;
  change: ChangeKind;
  manifest: Pick<ManifestStatus, 'key' | 'kind' | 'name' | 'file' | 'line'>;
  result: ManifestStatus['result'];
  previousResult?: ManifestStatus['result'];
  commit: string;
  author: string;
  /** Why: the first problem, or the status message. */
  reason: string;
  problems: string[];
}

const failing = (s: ManifestStatus | undefined) => s?.result === 'Invalid' || s?.result === 'Failed';

/** The changes worth telling, from the stored (previous) statuses and this sync's. Pure. */
export function notificationChanges(previous: ManifestStatus[], next: ManifestStatus[]): StatusChange[] {
  const before = new Map(previous.map((s) => [s.key, s]));
  const changes: StatusChange[] = [];
  for (const status of next) {
    const old = before.get(status.key);
    let change: ChangeKind | undefined;
    if (failing(status)) {
      // Canonical: statuses read back from the store have their keys sorted.
      const same =
        old?.result === status.result && canonicalJson(old.problems) === canonicalJson(status.problems);
      if (!same) change = failing(old) ? 'problems-changed' : 'failing';
    } else if (failing(old) && status.result !== 'Planned') change = 'recovered';
    if (!change) continue;
    const problems = status.problems.map((p) => redactText(formatProblem(p)));
    const identity = canonicalJson([status.key, change, status.result, status.problems, status.commit]);
    changes.push({
      id: createHash('sha256').update(identity).digest('hex').slice(0, 32),
      change,
      manifest: {
        key: status.key,
        kind: status.kind,
        name: status.name,
        file: status.file,
        ...(status.line ? { line: status.line } : {}),
      },
      result: status.result,
      ...(old ? { previousResult: old.result } : {}),
      commit: status.commit,
      author: status.author,
      reason: problems[0] ?? redactText(status.message),
      problems,
    });
  }
  return changes;
}

/** Slack's mrkdwn: `&`, `<` and `>` are its only markup characters. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEADLINE: Record<ChangeKind, string> = {
  failing: 'is failing',
  'problems-changed': 'fails differently',
  recovered: 'recovered',
};

export function notificationBody(
  change: StatusChange,
  format: NotifierSettings['format'],
  context: { instance: string; sourceUrl?: string },
): Record<string, unknown> {
  const where = change.manifest.file
    ? `${change.manifest.file}${change.manifest.line ? `:${change.manifest.line}` : ''}`
    : '';
  const link = sourceLink(context.sourceUrl, change.commit, change.manifest.file, change.manifest.line);
  if (format === 'json') {
    return {
      type: 'ManifestStatusChanged',
      id: change.id,
      instance: context.instance,
      change: change.change,
      manifest: change.manifest,
      result: change.result,
      ...(change.previousResult ? { previousResult: change.previousResult } : {}),
      commit: { sha: change.commit, author: change.author },
      reason: change.reason,
      problems: change.problems,
      ...(link ? { url: link } : {}),
    };
  }
  const mark = change.change === 'recovered' ? ':white_check_mark:' : ':x:';
  const file = where ? (link ? ` (<${link}|${slackEscape(where)}>)` : ` (${slackEscape(where)})`) : '';
  const text = `${mark} [${slackEscape(context.instance)}] ${slackEscape(change.manifest.key)} ${HEADLINE[change.change]}: ${change.result}${file} at ${change.commit.slice(0, 12)} by ${slackEscape(change.author)}\n${slackEscape(change.reason)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export interface NotifierOptions {
  settings: NotifierSettings;
  instance: string;
  sourceUrl?: string;
  logger?: Logger;
  /** Waits between attempts; default NOTIFY_BACKOFF (tests shorten it). */
  backoff?: BackoffPolicy;
}

/** Between attempts at one notification: 1 s, doubling, at most 30 s, no jitter. */
export const NOTIFY_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0 };

/** How many delivered ids are remembered (older ones cannot come back: the stored status has moved on). */
const REMEMBERED = 1000;

export class WebhookNotifier {
  private readonly queue: StatusChange[] = [];
  private readonly seen = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: NotifierOptions) {
    this.log = options.logger ?? silentLogger;
  }

  /** Queues the changes between two statuses; returns at once. */
  statusChanged(previous: ManifestStatus[], next: ManifestStatus[]): void {
    for (const change of notificationChanges(previous, next)) {
      if (this.seen.has(change.id)) continue;
      this.remember(change.id);
      this.queue.push(change);
    }
    this.running ??= this.drainQueue().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when the queue is empty, or after `timeoutMs` (shutdown does not wait on a slow receiver). */
  async idle(timeoutMs?: number): Promise<void> {
    const drained = (async () => {
      while (this.running) await this.running;
    })();
    if (timeoutMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
  }

  private async drainQueue(): Promise<void> {
    for (let change = this.queue.shift(); change; change = this.queue.shift()) await this.deliver(change);
  }

  /** The receiver's host only: a Slack webhook URL carries its secret in its path. */
  private get target(): string {
    try {
      return new URL(this.options.settings.url).host;
    } catch {
      return '(invalid URL)';
    }
  }

  private async deliver(change: StatusChange): Promise<void> {
    const { settings } = this.options;
    const body = JSON.stringify(
      notificationBody(change, settings.format, {
        instance: this.options.instance,
        ...(this.options.sourceUrl ? { sourceUrl: this.options.sourceUrl } : {}),
      }),
    );
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'image-gitops-notifier',
      'x-image-gitops-delivery': change.id,
    };
    if (settings.secret)
      headers['x-image-gitops-signature'] =
        `sha256=${createHmac('sha256', settings.secret).update(body).digest('hex')}`;
    const backoff = this.options.backoff ?? NOTIFY_BACKOFF;
    const attempts = 1 + settings.retries;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let why: string;
      try {
        const response = await fetch(settings.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'error', // a redirect could carry the body (and its signature) elsewhere
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) {
          this.log.info('notification sent', {
            manifest: change.manifest.key,
            change: change.change,
            attempt,
          });
          return;
        }
        why = `HTTP ${response.status}`;
        // A 4xx other than 408/429 will not get better by asking again.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) attempt = attempts;
      } catch (error) {
        why =
          error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : 'error';
      }
      const last = attempt >= attempts;
      this.log.warn(last ? 'notification dropped' : 'notification failed; retrying', {
        target: this.target,
        manifest: change.manifest.key,
        attempt,
        reason: redactText(why),
      });
      if (!last) await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, backoff)));
    }
  }
}
