// Leader election against a real kube-apiserver: two LeaderElector instances on one Lease.
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/core/logger.js';
import { KubeClient } from '../../src/kube/client.js';
import { Daemon } from '../../src/run/daemon.js';
import { LeaderElector, type LeaseSpec, microTime } from '../../src/run/leader.js';
import type { SyncReport } from '../../src/status/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';

const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve(Date.now() - started);
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

describe('leader election on a Lease', function () {
  this.timeout(60_000);
  let cp: ControlPlane;
  let namespace: string;
  let client: KubeClient;
  const electors: LeaderElector[] = [];
  const events: string[] = [];

  function candidate(identity: string, name: string, times: typeof timing = timing): LeaderElector {
    const elector = new LeaderElector({
      client,
      namespace,
      name,
      identity,
      ...times,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
    });
    electors.push(elector);
    return elector;
  }

  async function lease(name: string): Promise<LeaseSpec> {
    const lease = (await client.request(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
    )) as {
      spec: LeaseSpec;
    };
    return lease.spec;
  }

  before(async () => {
    cp = await controlPlane();
    namespace = await cp.newNamespace('leader-election');
    client = KubeClient.fromKubeconfig(cp.kubeconfigPath);
  });

  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop({ release: true })));
    events.length = 0;
  });

  after(() => client.close());

  it('writes MicroTime the API server accepts (six fractional digits)', () => {
    assert.equal(microTime(new Date('2026-11-24T10:00:00.123Z')), '2026-11-24T10:00:00.123000Z');
  });

  it('elects exactly one leader and the other follows, naming it', async () => {
    const a = candidate('pod-a', 'one-leader');
    const b = candidate('pod-b', 'one-leader');
    a.start();
    b.start();
    await waitFor(() => a.isLeader() || b.isLeader(), 10_000, 'a leader');
    // several renew rounds: still exactly one
    await new Promise((r) => setTimeout(r, 4 * timing.retryPeriodMs));
    assert.equal(Number(a.isLeader()) + Number(b.isLeader()), 1);
    const leader = a.isLeader() ? a : b;
    const follower = a.isLeader() ? b : a;
    const leaderId = leader === a ? 'pod-a' : 'pod-b';
    await waitFor(() => follower.leader() === leaderId, 5000, 'the follower to see the leader');
    const spec = await lease('one-leader');
    assert.equal(spec.holderIdentity, leaderId);
    assert.equal(spec.leaseDurationSeconds, 3);
    assert.match(spec.renewTime ?? '', /\.\d{6}Z$/);
  });

  it('keeps renewing: the lease renewTime moves while the leader lives', async () => {
    const a = candidate('pod-a', 'renewing');
    a.start();
    await waitFor(() => a.isLeader(), 10_000, 'pod-a to lead');
    const first = (await lease('renewing')).renewTime!;
    await new Promise((r) => setTimeout(r, 3 * timing.retryPeriodMs));
    const later = await lease('renewing');
    assert.ok(Date.parse(later.renewTime!) > Date.parse(first), `${later.renewTime} after ${first}`);
    assert.equal(later.holderIdentity, 'pod-a');
  });

  it('lets the follower take over within the lease duration when the leader dies without releasing', async () => {
    const a = candidate('pod-a', 'takeover');
    a.start();
    await waitFor(() => a.isLeader(), 10_000, 'pod-a to lead');
    const b = candidate('pod-b', 'takeover');
    b.start();
    await waitFor(() => b.leader() === 'pod-a', 5000, 'pod-b to observe pod-a');
    await new Promise((r) => setTimeout(r, timing.leaseDurationMs + 500));
    assert.equal(b.isLeader(), false, 'a follower does not take a lease that is being renewed');

    await a.stop({ release: false }); // dies: the Lease is left as it was
    const last = await lease('takeover');
    assert.equal(last.holderIdentity, 'pod-a');
    await waitFor(() => b.isLeader(), 30_000, 'pod-b to take over');
    const taken = await lease('takeover');
    // Not before the lease expired: pod-b acquired it a lease duration or more after pod-a's last renewal,
    // as the two timestamps stored on the Lease say (how long this machine took is not the question).
    assert.ok(
      Date.parse(taken.acquireTime!) >= Date.parse(last.renewTime!) + timing.leaseDurationMs,
      `acquired at ${taken.acquireTime}, last renewed at ${last.renewTime}`,
    );
    const spec = await lease('takeover');
    assert.equal(spec.holderIdentity, 'pod-b');
    assert.equal(spec.leaseTransitions, 1);
  });

  it('hands over at once when the leader stops gracefully (release)', async () => {
    // A lease of ten minutes: pod-b can only take it within the test if pod-a gave it up.
    const long = { leaseDurationMs: 600_000, renewDeadlineMs: 400_000, retryPeriodMs: timing.retryPeriodMs };
    const a = candidate('pod-a', 'release', long);
    a.start();
    await waitFor(() => a.isLeader(), 10_000, 'pod-a to lead');
    const b = candidate('pod-b', 'release', long);
    b.start();
    await waitFor(() => b.leader() === 'pod-a', 5000, 'pod-b to observe pod-a');
    await a.stop({ release: true });
    assert.equal(a.isLeader(), false);
    assert.deepEqual(events, ['pod-a leads', 'pod-a stops']);
    await waitFor(() => b.isLeader(), 30_000, 'pod-b to take over the released lease');
    assert.equal((await lease('release')).holderIdentity, 'pod-b');
  });

  it('a leader steps down when another candidate holds the Lease', async () => {
    const a = candidate('pod-a', 'stolen');
    a.start();
    await waitFor(() => a.isLeader(), 10_000, 'pod-a to lead');
    // an operator (or a split brain) hands the lease to someone else
    const path = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/stolen`;
    const current = (await client.request('GET', path)) as { spec: LeaseSpec };
    await client.request('PUT', path, {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: 'pod-z',
        renewTime: microTime(new Date()),
        leaseDurationSeconds: 30,
      },
    });
    await waitFor(() => !a.isLeader(), 5000, 'pod-a to step down');
    assert.equal(a.leader(), 'pod-z');
    assert.deepEqual(events, ['pod-a leads', 'pod-a stops']);
  });
});

describe('two daemons with the real Reconciler', function () {
  this.timeout(90_000);
  let harness: EngineHarness;
  const daemons: Daemon[] = [];

  function daemon(identity: string, engine: EngineHarness['reconciler']): Daemon {
    const d = new Daemon(
      {
        ...harness.config,
        schedule: '1h',
        http: { host: '127.0.0.1', port: 0 },
        leaderElection: { enabled: true, leaseName: 'daemons', leaseDurationSeconds: 3, identity },
        retryPeriodMs: 250,
        shutdownGraceMs: 5000,
      },
      { engine, leaseClient: harness.kube, logger: silentLogger },
    );
    daemons.push(d);
    return d;
  }

  before(async () => {
    harness = await startEngine({ 'prepull.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
  });

  after(async () => {
    await Promise.all(daemons.map((d) => d.shutdown('test end')));
    await harness.close();
  });

  it('only the leader syncs; the follower serves health and metrics, and takes over on a graceful stop', async () => {
    const a = daemon('daemon-a', harness.reconciler);
    await a.start();
    await waitFor(() => a.isLeader() && a.isReady(), 30_000, 'daemon-a to lead and sync');
    const b = daemon('daemon-b', harness.restart());
    await b.start();
    await waitFor(() => b.isReady(), 10_000, 'daemon-b to stand by');

    const statusA = (await (await fetch(`${a.url}/status`)).json()) as SyncReport;
    assert.equal(statusA.trigger, 'startup');
    assert.ok(
      ['Succeeded', 'NoChange'].includes(statusA.result),
      `leader synced: ${statusA.result} ${statusA.error?.message ?? ''}`,
    );
    assert.equal(statusA.manifests[0]?.kind, 'ImagePrepull');
    assert.equal((await fetch(`${b.url}/status`)).status, 404, 'the follower never synced');
    assert.equal((await fetch(`${b.url}/readyz`)).status, 200);
    // Every series names the instance (the same for both replicas of it).
    const instance = `image_gitops_instance="${harness.config.settings.instance}"`;
    assert.ok(
      (await (await fetch(`${a.url}/metrics`)).text()).includes(`\nimage_gitops_leader{${instance}} 1\n`),
    );
    assert.ok(
      (await (await fetch(`${b.url}/metrics`)).text()).includes(`\nimage_gitops_leader{${instance}} 0\n`),
    );
    assert.match(await (await fetch(`${b.url}/metrics`)).text(), /^process_cpu_user_seconds_total\{/m);

    await a.shutdown('SIGTERM');
    await waitFor(() => b.isLeader(), 3000, 'daemon-b to take over after the release');
    await waitFor(() => b.scheduler.consecutiveFailures() === 0 && b.isReady(), 30_000, 'daemon-b to sync');
    const statusB = (await (await fetch(`${b.url}/status`)).json()) as SyncReport;
    assert.equal(statusB.trigger, 'startup');
    assert.equal(statusB.commit?.sha, statusA.commit?.sha);
  });
});
