// Bounds that keep one slow registry or a stopped API server from holding a whole sync: a manifest's observe
// deadline (it fails alone, the others render), the sync deadline (the scheduler aborts the sync's signal),
// and the apply retry budget (a plan against an API server that refuses every call ends in bounded time and
// says why).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { executePlan } from '../../../src/apply/executor.js';
import { DEFAULT_RETRY, RetryBudget } from '../../../src/apply/retry.js';
import { clusterWriter } from '../../../src/apply/writer.js';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { renderManifests } from '../../../src/engine/render-manifests.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import type { KubeApi } from '../../../src/kube/types.js';
import type { Manifest } from '../../../src/manifests/types.js';
import type { Plan } from '../../../src/plan/plan.js';
import { DEFAULT_REGISTRY_LIMITS } from '../../../src/registry/limits.js';
import { parseSchedule, Scheduler, SyncDeadlineError } from '../../../src/run/scheduler.js';
import { StandInEngine, waitUntil } from '../run/stand-in-engine.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;

async function serve(handler: http.RequestListener): Promise<{ host: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function imageSync(name: string, source: string, destination: string): Manifest<ImageSyncSpec> {
  return {
    key: `ImageSync/ns/${name}`,
    kind: 'ImageSync',
    name,
    namespace: 'ns',
    spec: {
      source: { image: `${source}/team/${name}`, tag: 'v1' },
      destination: { image: `${destination}/team/${name}` },
      registries: [
        { host: source, tlsVerify: false },
        { host: destination, tlsVerify: false },
      ],
    },
    origin: { file: `${name}.yaml`, line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
  };
}

describe('sync bounds', function () {
  this.timeout(30_000);

  describe("a manifest's observe deadline", () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.close())));

    it('fails the manifest whose registry trickles, alone; the other renders its copy Job', async () => {
      const good = await serve((_req, res) => res.writeHead(200, { 'Docker-Content-Digest': DIGEST }).end());
      const missing = await serve((_req, res) => res.writeHead(404).end());
      // Headers at once, then one byte every 5 s: no idle timeout ever fires.
      const trickle = await serve((_req, res) => {
        res.writeHead(200, { 'Docker-Content-Digest': DIGEST });
        const timer = setInterval(() => res.write(' '), 5000);
        res.write(' ');
        res.on('close', () => clearInterval(timer));
      });
      servers.push(good, missing, trickle);
      const rendered = await renderManifests({
        manifests: [
          imageSync('fast', good.host, missing.host),
          imageSync('slow', trickle.host, missing.host),
        ],
        live: [],
        commit: { sha: 'c0ffee', author: 't', date: '2026-01-01T00:00:00Z', message: 't' },
        namespace: 'ns',
        settings: DEFAULT_SETTINGS,
        files: new Map(),
        limits: { ...DEFAULT_REGISTRY_LIMITS, observeTimeoutMs: 2000 },
        observeContext: (namespace, live) => ({
          namespace,
          settings: DEFAULT_SETTINGS,
          live,
          readSecret: async () => undefined,
          listObjects: async () => [],
        }),
      });
      const [fast, slow] = rendered;
      assert.deepEqual(fast?.problems, []);
      assert.ok(
        fast?.objects.some((o) => o.kind === 'Job'),
        'the fast manifest renders its copy Job',
      );
      assert.equal(slow?.objects.length, 0);
      assert.equal(slow?.problems[0]?.code, 'OBSERVE_FAILED');
      assert.match(
        slow?.problems[0]?.message ?? '',
        /observe did not finish within 2 s \(OBSERVE_TIMEOUT_SECONDS\)/,
      );
    });
  });

  describe('the sync deadline', () => {
    let scheduler: Scheduler | undefined;
    afterEach(async () => {
      await scheduler?.stop(0, 1000);
      scheduler = undefined;
    });

    it("aborts the sync's signal with the deadline as the reason, and the next sync starts", async () => {
      const engine = new StandInEngine();
      engine.hold = true;
      scheduler = new Scheduler({
        schedule: parseSchedule('1h'),
        sync: (trigger, signal) => engine.sync(trigger, signal),
        deadlineMs: 300,
      });
      scheduler.start();
      await waitUntil(() => engine.calls[0]?.finishedAt !== undefined, 3000, 'the held sync ended');
      const reason: unknown = engine.calls[0]?.signal?.reason;
      assert.ok(reason instanceof SyncDeadlineError);
      assert.match((reason as Error).message, /the sync deadline of 0\.3 s passed \(SYNC_DEADLINE_SECONDS\)/);
      assert.equal(scheduler.isSyncing(), false);
      engine.hold = false;
      assert.equal(scheduler.trigger('manual'), 'started');
    });
  });

  describe('the apply retry budget', () => {
    const objects: KubeObject[] = Array.from({ length: 20 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `c${i}`, namespace: 'ns' },
    }));
    const plan: Plan = {
      changes: objects.map((object) => ({
        action: 'create',
        object,
        manifestKey: 'M/ns/m',
        reason: { code: 'NotInCluster', message: 'new' },
      })),
    };
    /** An API server that is gone: every call fails at once as a connection failure. */
    const stopped = (): KubeApi & { calls: number } => {
      const api = {
        calls: 0,
        async apply(): Promise<KubeObject> {
          api.calls++;
          throw new KubeApiError(0, 'ConnectionRefused', 'connect ECONNREFUSED 127.0.0.1:6443');
        },
      };
      return api as unknown as KubeApi & { calls: number };
    };

    it('stops retrying once the budget is spent, and says so in the failures it cut short', async () => {
      const kube = stopped();
      const results = await executePlan(clusterWriter(kube), plan, {
        concurrency: 4,
        retry: {
          ...DEFAULT_RETRY,
          backoff: { ...DEFAULT_RETRY.backoff, maxMs: 400 },
          budget: new RetryBudget(500),
        },
      });
      assert.equal(results.length, 20);
      assert.ok(results.every((r) => r.outcome?.result === 'failed'));
      assert.ok(kube.calls < 20 * DEFAULT_RETRY.attempts, `${kube.calls} calls: the budget cut retries`);
      assert.ok(
        results.some((r) =>
          /retry budget is spent, APPLY_RETRY_BUDGET_SECONDS; retried next sync/.test(
            r.outcome?.message ?? '',
          ),
        ),
        results.map((r) => r.outcome?.message).join('\n'),
      );
    });

    it('does not start steps once the sync is aborted, and says why', async () => {
      const kube = stopped();
      const controller = new AbortController();
      controller.abort(new Error('the sync deadline of 600 s passed (SYNC_DEADLINE_SECONDS)'));
      const results = await executePlan(clusterWriter(kube), plan, {
        retry: { ...DEFAULT_RETRY, signal: controller.signal },
      });
      assert.equal(kube.calls, 0);
      assert.match(results[0]?.outcome?.message ?? '', /not attempted: the sync deadline of 600 s passed/);
    });
  });
});
