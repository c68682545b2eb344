import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { parseListenAddress, type RunningServer, startHttpServer } from '../../../src/server/http.js';
import { createMetrics, recordSyncReport } from '../../../src/server/metrics.js';
import type { SyncReport } from '../../../src/status/types.js';
import { syncReport } from './report-fixture.js';

const secret = 'webhook-secret';

describe('HTTP endpoints', () => {
  let server: RunningServer;
  let ready = false;
  let report: SyncReport | undefined;
  const pushes: Array<string | undefined> = [];
  const metrics = createMetrics();

  before(async () => {
    server = await startHttpServer(
      {
        metrics,
        lastReport: () => report,
        isReady: () => ready,
        isLeader: () => true,
        webhook: {
          secret,
          ref: 'main',
          maxBodyBytes: 4096,
          onPush: (push) => {
            pushes.push(push.ref);
            return { status: 202, message: 'sync started' };
          },
        },
      },
      { host: '127.0.0.1', port: 0 },
    );
  });

  after(async () => {
    await server.close();
  });

  it('binds a free port on loopback', () => {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  it('answers /healthz at once', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('answers /readyz with 503 until the first sync settled, then 200', async () => {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    ready = true;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });

  it('serves /status as 404 before any report and as the last SyncReport after', async () => {
    const before = await fetch(`${server.url}/status`);
    assert.equal(before.status, 404);
    assert.match(((await before.json()) as { message: string }).message, /no sync report yet/);
    report = syncReport({
      result: 'PartiallyFailed',
      counts: { applied: 2, unchanged: 1, pruned: 0, failed: 1, kept: 0 },
    });
    const after = await fetch(`${server.url}/status`);
    assert.equal(after.status, 200);
    assert.match(after.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await after.json(), JSON.parse(JSON.stringify(report)));
  });

  it('serves Prometheus text on /metrics with the recorded syncs and process metrics', async () => {
    recordSyncReport(metrics, syncReport({ result: 'Succeeded' }));
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^image_gitops_sync_total\{result="Succeeded"\} 1$/m);
    assert.match(text, /^# TYPE image_gitops_sync_duration_seconds histogram$/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });

  it('triggers on a signed push and counts the webhook', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const res = await fetch(`${server.url}/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-hub-signature-256': signature,
      },
      body,
    });
    assert.equal(res.status, 202);
    assert.deepEqual(pushes, ['refs/heads/main']);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^image_gitops_webhook_requests_total\{provider="github",outcome="triggered"\} 1$/m);
  });

  it('refuses an unsigned push with 401 and does not trigger', async () => {
    const before = pushes.length;
    const res = await fetch(`${server.url}/webhook`, {
      method: 'POST',
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=deadbeef' },
      body: '{"ref":"refs/heads/main"}',
    });
    assert.equal(res.status, 401);
    assert.equal(pushes.length, before);
  });

  it('refuses a body over the limit with 413, whether its length is declared or streamed', async () => {
    const big = 'x'.repeat(5000);
    const declared = await fetch(`${server.url}/webhook`, {
      method: 'POST',
      headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret },
      body: big,
    });
    assert.equal(declared.status, 413);
    // chunked, no content-length: the server has to count
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}/webhook`,
        { method: 'POST', headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('y'.repeat(1000));
      req.end();
    });
    assert.equal(streamed, 413);
  });

  it('answers GET /webhook with 405 and unknown paths with 404', async () => {
    assert.equal((await fetch(`${server.url}/webhook`)).status, 405);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/metrics`, { method: 'DELETE' })).status, 405);
  });
});

describe('HTTP webhooks without a secret', () => {
  it('are refused: an open endpoint would let anyone trigger syncs', async () => {
    let triggered = 0;
    const server = await startHttpServer(
      {
        metrics: createMetrics({ defaultMetrics: false }),
        lastReport: () => undefined,
        isReady: () => true,
        webhook: {
          secret: undefined,
          onPush: () => {
            triggered++;
            return { status: 202, message: 'ok' };
          },
        },
      },
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const res = await fetch(`${server.url}/webhook`, {
        method: 'POST',
        headers: { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': '' },
        body: '{}',
      });
      assert.equal(res.status, 404);
      assert.equal(triggered, 0);
    } finally {
      await server.close();
    }
  });
});

describe('listen address', () => {
  it('reads host:port, :port, a bare port and a bracketed IPv6 host', () => {
    assert.deepEqual(parseListenAddress('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListenAddress(':9090'), { host: '0.0.0.0', port: 9090 });
    assert.deepEqual(parseListenAddress('8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseListenAddress('[::1]:8080'), { host: '::1', port: 8080 });
    assert.throws(() => parseListenAddress('localhost'), /listen address/);
    assert.throws(() => parseListenAddress(':70000'), /listen address/);
  });
});
