import assert from 'node:assert/strict';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  parseDuration,
  parseSchedule,
  Scheduler,
} from '../../../src/run/scheduler.js';
import { StandInEngine, sleep, waitUntil } from './stand-in-engine.js';

describe('schedule parsing', () => {
  it('reads durations in ms, s, m, h and d, also combined', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1500ms'), 1500);
    assert.throws(() => parseDuration('5 minutes'), /not a duration/);
    assert.throws(() => parseDuration('5mx'), /not a duration/);
  });

  it('takes a duration as an interval and anything else as a cron expression', () => {
    assert.deepEqual(parseSchedule('5m'), { kind: 'interval', everyMs: 300_000 });
    assert.deepEqual(parseSchedule('*/5 * * * *'), { kind: 'cron', expression: '*/5 * * * *' });
    assert.deepEqual(parseSchedule('0 */10 * * * *', 'UTC'), {
      kind: 'cron',
      expression: '0 */10 * * * *',
      timezone: 'UTC',
    });
  });

  it('refuses intervals under a second and invalid cron expressions', () => {
    assert.throws(() => parseSchedule('500ms'), /shorter than 1s/);
    assert.throws(() => parseSchedule('61 * * * *'), /neither a duration/);
    assert.throws(() => parseSchedule('every day'), /neither a duration/);
  });
});

describe('retry backoff', () => {
  const policy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.5 };

  it('doubles with each failure up to the maximum', () => {
    const noJitter = () => 0;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, policy, noJitter)),
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000],
    );
  });

  it('takes jitter off the delay, at most the jitter share', () => {
    assert.equal(
      backoffDelay(3, policy, () => 1),
      2000,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0.5),
      3000,
    );
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(4, DEFAULT_BACKOFF);
      const base = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 8);
      assert.ok(d <= base && d >= base * (1 - DEFAULT_BACKOFF.jitter), `delay ${d}`);
    }
  });
});

describe('scheduler', () => {
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop(0, 1000);
    scheduler = undefined;
  });

  it('syncs at start and then every interval, counted from the end of the previous sync', async () => {
    const engine = new StandInEngine();
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 80 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await waitUntil(() => engine.calls.length >= 4, 3000, 'four syncs');
    assert.deepEqual(engine.triggers().slice(0, 4), ['startup', 'schedule', 'schedule', 'schedule']);
    for (let i = 1; i < 4; i++) {
      const gap = engine.calls[i]!.startedAt - engine.calls[i - 1]!.finishedAt!;
      assert.ok(gap >= 75, `gap ${gap}ms between syncs ${i - 1} and ${i}`);
    }
  });

  it('never overlaps syncs: triggers during a sync queue exactly one follow-up', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await waitUntil(() => engine.calls.length === 1);
    assert.equal(scheduler.trigger('webhook'), 'queued');
    assert.equal(scheduler.trigger('manual'), 'coalesced');
    assert.equal(scheduler.trigger('webhook'), 'coalesced');
    assert.equal(engine.calls.length, 1);
    engine.calls[0]!.release();
    await waitUntil(() => engine.calls.length === 2);
    engine.calls[1]!.release();
    await scheduler.idle();
    await sleep(30);
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

  it('fires on a cron expression (node-cron 4, seconds field)', async function () {
    this.timeout(5000);
    const engine = new StandInEngine();
    scheduler = new Scheduler({
      schedule: parseSchedule('* * * * * *'),
      sync: (t, s) => engine.sync(t, s),
      syncAtStart: false,
    });
    scheduler.start();
    assert.ok(scheduler.nextSyncAt()!.getTime() - Date.now() <= 1000);
    await waitUntil(() => engine.calls.length >= 2, 3500, 'two cron ticks');
    assert.deepEqual(engine.triggers().slice(0, 2), ['schedule', 'schedule']);
    const gap = engine.calls[1]!.startedAt - engine.calls[0]!.startedAt;
    assert.ok(gap >= 900 && gap <= 1500, `cron gap ${gap}ms`);
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
    await waitUntil(() => engine.calls.length >= 5, 3000, 'four retries');
    engine.result = 'Succeeded';
    const gaps = [1, 2, 3, 4].map((i) => engine.calls[i]!.startedAt - engine.calls[i - 1]!.finishedAt!);
    // 40, 80, 160, then bounded at 160
    assert.ok(gaps[0]! >= 35 && gaps[0]! < 80, `first retry after ${gaps[0]}ms`);
    assert.ok(gaps[1]! >= 75 && gaps[1]! < 160, `second retry after ${gaps[1]}ms`);
    assert.ok(gaps[2]! >= 155 && gaps[2]! < 300, `third retry after ${gaps[2]}ms`);
    assert.ok(gaps[3]! >= 155 && gaps[3]! < 300, `bounded retry after ${gaps[3]}ms`);
    await waitUntil(() => scheduler!.consecutiveFailures() === 0, 2000, 'a successful retry');
    const count = engine.calls.length;
    await sleep(400);
    assert.equal(engine.calls.length, count, 'after a success the next sync waits for the interval');
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
    await waitUntil(() => engine.calls.length >= 3, 2000, 'retries at the interval');
    assert.equal(scheduler.consecutiveFailures() >= 2, true);
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
    await waitUntil(() => engine.calls.length >= 2, 2000, 'a retry after a throw');
    assert.ok(scheduler.consecutiveFailures() >= 1);
  });

  it('on stop lets a sync finish within the grace period, without aborting it', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await waitUntil(() => engine.calls.length === 1);
    scheduler.trigger('webhook');
    setTimeout(() => engine.calls[0]!.release(), 50);
    const result = await scheduler.stop(2000);
    assert.deepEqual(result, { aborted: false });
    assert.equal(engine.calls[0]!.signal!.aborted, false);
    await sleep(50);
    assert.equal(engine.calls.length, 1, 'the queued follow-up was dropped');
  });

  it('on stop aborts a sync that outlives the grace period, through its AbortSignal', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    scheduler = new Scheduler({
      schedule: { kind: 'interval', everyMs: 60_000 },
      sync: (t, s) => engine.sync(t, s),
    });
    scheduler.start();
    await waitUntil(() => engine.calls.length === 1);
    const started = Date.now();
    const result = await scheduler.stop(100);
    const took = Date.now() - started;
    assert.deepEqual(result, { aborted: true });
    assert.equal(engine.calls[0]!.signal!.aborted, true);
    assert.ok(took >= 95 && took < 1000, `stop took ${took}ms`);
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
    await waitUntil(() => engine.calls.length === 2);
    assert.deepEqual(engine.triggers(), ['startup', 'startup']);
  });
});
