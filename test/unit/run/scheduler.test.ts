import assert from 'node:assert/strict';
import FakeTimers from '@sinonjs/fake-timers';
import { parseSchedule, Scheduler } from '../../../src/run/scheduler.js';
import { StandInEngine } from './stand-in-engine.js';

describe('schedule parsing', () => {
  it('takes a duration as an interval and anything else as a cron expression', () => {
    assert.deepEqual(parseSchedule('5m'), { kind: 'interval', everyMs: 300_000 });
    assert.deepEqual(parseSchedule('1h30m'), { kind: 'interval', everyMs: 5_400_000 });
    assert.deepEqual(parseSchedule('*/5 * * * *'), { kind: 'cron', expression: '*/5 * * * *' });
    assert.deepEqual(parseSchedule('0 */10 * * * *', 'UTC'), {
      kind: 'cron',
      expression: '0 */10 * * * *',
      timezone: 'UTC',
    });
  });

  it('reads the duration grammar of manifests: weeks, days and their combinations', () => {
    assert.deepEqual(parseSchedule('1w'), { kind: 'interval', everyMs: 7 * 86_400_000 });
    assert.deepEqual(parseSchedule('1w2d'), { kind: 'interval', everyMs: 9 * 86_400_000 });
    assert.deepEqual(parseSchedule('1.5h'), { kind: 'interval', everyMs: 5_400_000 });
  });

  it('refuses intervals under a second and invalid cron expressions', () => {
    assert.throws(() => parseSchedule('500ms'), /shorter than 1s/);
    assert.throws(() => parseSchedule('0s'), /shorter than 1s/);
    assert.throws(() => parseSchedule('61 * * * *'), /neither a duration .* nor a cron expression/);
    assert.throws(() => parseSchedule('every day'), /neither a duration/);
    assert.throws(() => parseSchedule('5mx'), /neither a duration/);
  });
});

// Schedules are asserted on a fake clock (@sinonjs/fake-timers: setTimeout, setInterval and Date): what
// happens before and at each due time, never how long the machine took. setImmediate stays real, so the
// stand-in engine's syncs and promise chains run between clock steps.
describe('scheduler', () => {
  let scheduler: Scheduler | undefined;
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({
      now: Date.UTC(2026, 0, 1, 0, 0, 0, 500),
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
  });
  afterEach(async () => {
    if (scheduler) {
      const stopped = scheduler.stop(0, 1000);
      await clock.tickAsync(1000);
      await stopped;
    }
    scheduler = undefined;
    clock.uninstall();
  });

  /** Lets promise chains and the stand-in engine's (real) setImmediate run, without moving the clock. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  }
  async function advance(ms: number): Promise<void> {
    await clock.tickAsync(ms);
    await settle();
  }

  it('syncs at start and then every interval, counted from the end of the previous sync', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 80 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await settle();
    assert.equal(engine.calls.length, 1);
    await advance(500);
    assert.equal(engine.calls.length, 1, 'no scheduled sync while one runs, however long it takes');
    engine.hold = false;
    engine.calls[0]!.release();
    await settle();
    await advance(79);
    assert.equal(engine.calls.length, 1, 'not before the interval, counted from the end of the sync');
    await advance(1);
    assert.equal(engine.calls.length, 2);
    await advance(79);
    assert.equal(engine.calls.length, 2);
    await advance(1);
    assert.deepEqual(engine.triggers(), ['startup', 'schedule', 'schedule']);
  });

  it('never overlaps syncs: triggers during a sync queue exactly one follow-up', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await settle();
    assert.equal(engine.calls.length, 1);
    assert.equal(scheduler.trigger('webhook'), 'queued');
    assert.equal(scheduler.trigger('manual'), 'coalesced');
    assert.equal(scheduler.trigger('webhook'), 'coalesced');
    assert.equal(engine.calls.length, 1);
    engine.calls[0]!.release();
    await settle();
    assert.equal(engine.calls.length, 2);
    engine.calls[1]!.release();
    await scheduler.idle();
    await advance(59_999);
    assert.deepEqual(engine.triggers(), ['startup', 'webhook']);
    assert.equal(engine.maxActive, 1);
  });

  it('runs a manual trigger at once when idle', async () => {
    const engine = new StandInEngine();
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
      syncAtStart: false,
    });
    scheduler.start();
    assert.equal(scheduler.trigger('manual'), 'started');
    await scheduler.idle();
    assert.deepEqual(engine.triggers(), ['manual']);
  });

  it('fires on a cron expression (node-cron 4, seconds field) at each due second, not before', async () => {
    const engine = new StandInEngine();
    scheduler = new Scheduler({
      schedule: parseSchedule('* * * * * *'),
      sync: (t, s) => engine.sync(t, s),
      syncAtStart: false,
    });
    scheduler.start();
    await settle();
    assert.equal(scheduler.nextSyncAt()?.toISOString(), '2026-01-01T00:00:01.000Z');
    await advance(499);
    assert.equal(engine.calls.length, 0, 'nothing before the first due second');
    await advance(1);
    assert.equal(engine.calls.length, 1);
    await advance(999);
    assert.equal(engine.calls.length, 1);
    await advance(1);
    assert.deepEqual(engine.triggers(), ['schedule', 'schedule']);
  });

  it('retries sooner than the interval after a failed sync, backing off, and resets after a success', async () => {
    const engine = new StandInEngine();
    engine.result = 'Failed';
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
      backoff: { initialMs: 40, maxMs: 160, factor: 2, jitter: 0 },
    });
    scheduler.start();
    await settle();
    assert.equal(engine.calls.length, 1);
    // 40, 80, 160, then bounded at 160, each counted from the end of the failed sync.
    for (const [i, delay] of [40, 80, 160, 160].entries()) {
      await advance(delay - 1);
      assert.equal(engine.calls.length, i + 1, `retry ${i + 1} not before ${delay} ms`);
      await advance(1);
      assert.equal(engine.calls.length, i + 2, `retry ${i + 1} at ${delay} ms`);
      assert.equal(scheduler.consecutiveFailures(), i + 2);
    }
    engine.result = 'Succeeded';
    await advance(160);
    assert.equal(engine.calls.length, 6);
    assert.equal(scheduler.consecutiveFailures(), 0);
    await advance(59_999);
    assert.equal(engine.calls.length, 6, 'after a success the next sync waits for the interval');
    await advance(1);
    assert.equal(engine.calls.length, 7);
  });

  it('never waits longer than the interval to retry, however long the backoff', async () => {
    const engine = new StandInEngine();
    engine.result = 'Failed';
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60 },
      sync: (t, s) => engine.sync(t, s),
      backoff: { initialMs: 10_000, maxMs: 60_000, jitter: 0 },
    });
    scheduler.start();
    await settle();
    await advance(59);
    assert.equal(engine.calls.length, 1);
    await advance(1);
    assert.equal(engine.calls.length, 2);
    await advance(60);
    assert.equal(engine.calls.length, 3);
    assert.equal(scheduler.consecutiveFailures(), 3);
  });

  it('counts a sync that throws as a failure and keeps scheduling', async () => {
    const engine = new StandInEngine();
    engine.throwError = new Error('boom');
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
      backoff: { initialMs: 20, jitter: 0 },
    });
    scheduler.start();
    await settle();
    assert.equal(scheduler.consecutiveFailures(), 1);
    await advance(20);
    assert.equal(engine.calls.length, 2);
    assert.equal(scheduler.consecutiveFailures(), 2);
  });

  it('on stop lets a sync finish within the grace period, without aborting it', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await settle();
    scheduler.trigger('webhook');
    setTimeout(() => engine.calls[0]!.release(), 50);
    const stopping = scheduler.stop(2000);
    await advance(50);
    assert.deepEqual(await stopping, { aborted: false });
    assert.equal(engine.calls[0]!.signal!.aborted, false);
    await advance(60_000);
    assert.equal(engine.calls.length, 1, 'the queued follow-up was dropped, and nothing is scheduled');
  });

  it('on stop aborts a sync that outlives the grace period, through its AbortSignal, not before', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await settle();
    let outcome: { aborted: boolean } | undefined;
    const stopping = scheduler.stop(100).then((r) => {
      outcome = r;
      return r;
    });
    await advance(99);
    assert.equal(outcome, undefined, 'still within the grace period');
    assert.equal(engine.calls[0]!.signal!.aborted, false);
    await advance(1);
    assert.equal(engine.calls[0]!.signal!.aborted, true);
    assert.deepEqual(await stopping, { aborted: true });
    assert.equal(scheduler.trigger('manual'), 'stopped');
  });

  it('can be started again after a stop (leadership regained)', async () => {
    const engine = new StandInEngine();
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await scheduler.idle();
    await scheduler.stop(0);
    scheduler.start();
    await settle();
    assert.deepEqual(engine.triggers(), ['startup', 'startup']);
  });
});
