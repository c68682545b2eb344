// Leader election against a real kube-apiserver: two LeaderElector instances on one Lease.
import assert from 'node:assert/strict';
import { KubeClient } from '../../src/kube/client.js';
import { LeaderElector, type LeaseSpec, microTime } from '../../src/run/leader.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';

const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 250 };

function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (check()) return resolve(Date.now() - started);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`));
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

  function candidate(identity: string, name: string): LeaderElector {
    const elector = new LeaderElector({
      client,
      namespace,
      name,
      identity,
      ...timing,
      onStartedLeading: () => events.push(`${identity} leads`),
      onStoppedLeading: () => events.push(`${identity} stops`),
    });
    electors.push(elector);
    return elector;
  }

  async function lease(name: string): Promise<LeaseSpec> {
    const lease = (await client.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`)) as {
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
    const died = Date.now();
    assert.equal((await lease('takeover')).holderIdentity, 'pod-a');
    await waitFor(() => b.isLeader(), timing.leaseDurationMs + 2 * timing.retryPeriodMs + 1000, 'pod-b to take over');
    const tookMs = Date.now() - died;
    // not before the lease could have expired (the last renew was at most one retry period before death)...
    assert.ok(tookMs >= timing.leaseDurationMs - timing.retryPeriodMs - 100, `took over after ${tookMs}ms`);
    // ...and within the lease duration (plus the polling of the two sides)
    assert.ok(tookMs <= timing.leaseDurationMs + 2 * timing.retryPeriodMs + 500, `took over after ${tookMs}ms`);
    const spec = await lease('takeover');
    assert.equal(spec.holderIdentity, 'pod-b');
    assert.equal(spec.leaseTransitions, 1);
  });

  it('hands over at once when the leader stops gracefully (release)', async () => {
    const a = candidate('pod-a', 'release');
    a.start();
    await waitFor(() => a.isLeader(), 10_000, 'pod-a to lead');
    const b = candidate('pod-b', 'release');
    b.start();
    await waitFor(() => b.leader() === 'pod-a', 5000, 'pod-b to observe pod-a');
    await a.stop({ release: true });
    assert.equal(a.isLeader(), false);
    assert.deepEqual(events, ['pod-a leads', 'pod-a stops']);
    const tookMs = await waitFor(() => b.isLeader(), timing.leaseDurationMs, 'pod-b to take over');
    assert.ok(tookMs <= 2 * timing.retryPeriodMs + 300, `took over ${tookMs}ms after the release`);
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
      spec: { ...current.spec, holderIdentity: 'pod-z', renewTime: microTime(new Date()), leaseDurationSeconds: 30 },
    });
    await waitFor(() => !a.isLeader(), 5000, 'pod-a to step down');
    assert.equal(a.leader(), 'pod-z');
    assert.deepEqual(events, ['pod-a leads', 'pod-a stops']);
  });
});
