import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import FakeTimers from '@sinonjs/fake-timers';
import { createLogger, silentLogger } from '../../../src/core/logger.js';
import { Daemon, type DaemonConfig } from '../../../src/run/daemon.js';
import { StandInEngine, waitUntil } from './stand-in-engine.js';

function config(overrides: Partial<DaemonConfig> = {}): DaemonConfig {
  return {
    namespace: 'image-gitops',
    schedule: '1h',
    http: { host: '127.0.0.1', port: 0 },
    webhookSecret: 'hook-secret',
    leaderElection: { enabled: false, leaseName: 'x', leaseDurationSeconds: 15, identity: 'pod-a' },
    logLevel: 'debug',
    git: { branch: 'main' },
    shutdownGraceMs: 200,
    ...overrides,
  };
}

function signedPush(ref: string) {
  const body = JSON.stringify({ ref });
  return {
    method: 'POST',
    headers: {
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${createHmac('sha256', 'hook-secret').update(body).digest('hex')}`,
    },
    body,
  };
}

describe('daemon (without leader election, stand-in engine)', () => {
  let daemon: Daemon | undefined;
  afterEach(async () => {
    await daemon?.shutdown('test end');
    daemon = undefined;
  });

  it('is live at once, ready after the first sync, and serves its report and metrics', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    daemon = new Daemon(config(), { engine, logger: silentLogger });
    await daemon.start();
    const url = daemon.url!;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 503);
    await waitUntil(() => engine.calls.length === 1);
    assert.equal(engine.calls[0]!.trigger, 'startup');
    engine.calls[0]!.release('Succeeded');
    await daemon.scheduler.idle();
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const status = (await (await fetch(`${url}/status`)).json()) as { trigger: string; result: string };
    assert.deepEqual([status.trigger, status.result], ['startup', 'Succeeded']);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^image_gitops_sync_total\{result="Succeeded"\} 1$/m);
    assert.match(metrics, /^image_gitops_leader 1$/m);
  });

  it('is ready after a first sync that failed cleanly too', async () => {
    const engine = new StandInEngine();
    engine.result = 'Failed';
    daemon = new Daemon(config({ backoff: { initialMs: 60_000 } }), { engine, logger: silentLogger });
    await daemon.start();
    await waitUntil(() => engine.calls.length === 1);
    await daemon.scheduler.idle();
    assert.equal((await fetch(`${daemon.url}/readyz`)).status, 200);
  });

  it('runs a sync for a signed webhook push, and ignores pushes to other branches', async () => {
    const engine = new StandInEngine();
    daemon = new Daemon(config(), { engine, logger: silentLogger });
    await daemon.start();
    await waitUntil(() => engine.calls.length === 1);
    await daemon.scheduler.idle();
    const other = await fetch(`${daemon.url}/webhook`, signedPush('refs/heads/feature'));
    assert.equal(other.status, 200);
    const res = await fetch(`${daemon.url}/webhook`, signedPush('refs/heads/main'));
    assert.equal(res.status, 202);
    await waitUntil(() => engine.calls.length === 2);
    assert.deepEqual(engine.triggers(), ['startup', 'webhook']);
  });

  it('on shutdown aborts a sync that outlives the grace period, then closes HTTP', async () => {
    const engine = new StandInEngine();
    engine.hold = true;
    const lines: string[] = [];
    daemon = new Daemon(config({ shutdownGraceMs: 150 }), {
      engine,
      logger: createLogger({ level: 'info', write: (l) => lines.push(l) }),
    });
    await daemon.start();
    const url = daemon.url!;
    await waitUntil(() => engine.calls.length === 1);
    // The grace period on a fake clock (timers and Date only; sockets stay real): no abort before it ends.
    const clock = FakeTimers.install({
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      shouldClearNativeTimers: true,
    });
    let down = false;
    try {
      const shuttingDown = daemon.shutdown('SIGTERM').then(() => {
        down = true;
      });
      await clock.tickAsync(149);
      assert.equal(engine.calls[0]!.signal!.aborted, false, 'not aborted within the grace period');
      assert.equal(down, false);
      await clock.tickAsync(1);
      assert.equal(engine.calls[0]!.signal!.aborted, true, 'aborted when the grace period ends');
      await clock.tickAsync(10_000);
      await shuttingDown;
    } finally {
      clock.uninstall();
    }
    await assert.rejects(fetch(`${url}/healthz`));
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(messages.includes('the running sync was aborted at shutdown'), messages.join(', '));
    assert.ok(messages.includes('stopped'));
    assert.ok(!lines.join('').includes('hook-secret'));
  });
});
