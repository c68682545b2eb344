// A stand-in for the Reconciler in unit tests of scheduling and the daemon: the same sync() signature,
// SyncReport-shaped results, and hooks to hold a sync open, fail it, or watch its abort signal.
import type { SyncReport, SyncResult } from '../../../src/status/types.js';
import { syncReport } from '../server/report-fixture.js';

type Trigger = SyncReport['trigger'];

export interface SyncCall {
  trigger: Trigger;
  startedAt: number;
  finishedAt?: number;
  signal: AbortSignal | undefined;
  /** Ends a held sync. */
  release(result?: SyncResult): void;
}

export class StandInEngine {
  readonly calls: SyncCall[] = [];
  /** Each sync waits for release() when true. */
  hold = false;
  /** Result of syncs that are not held. */
  result: SyncResult = 'Succeeded';
  /** Throw instead of returning a report. */
  throwError: Error | undefined;
  /** A held sync ends when its signal aborts (as the real engine does). */
  honourAbort = true;
  active = 0;
  maxActive = 0;
  private report: SyncReport | undefined;

  lastReport(): SyncReport | undefined {
    return this.report;
  }

  async sync(trigger: Trigger, signal?: AbortSignal): Promise<SyncReport> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const startedAt = Date.now();
    let release!: (result?: SyncResult) => void;
    const released = new Promise<SyncResult>((resolve) => {
      release = (result) => resolve(result ?? this.result);
    });
    const call: SyncCall = { trigger, startedAt, signal, release };
    this.calls.push(call);
    try {
      if (this.throwError) throw this.throwError;
      let result = this.result;
      if (this.hold) {
        if (this.honourAbort && signal) {
          signal.addEventListener('abort', () => release('Failed'), { once: true });
        }
        result = await released;
      } else {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const finishedAt = Date.now();
      call.finishedAt = finishedAt;
      const report = syncReport({
        trigger,
        result,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: new Date(finishedAt).toISOString(),
        durationSeconds: (finishedAt - startedAt) / 1000,
        ...(signal?.aborted ? { error: { code: 'GIT_FETCH' as const, message: 'aborted' } } : {}),
      });
      this.report = report;
      return report;
    } finally {
      this.active--;
    }
  }

  triggers(): Trigger[] {
    return this.calls.map((c) => c.trigger);
  }
}

export function waitUntil(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
