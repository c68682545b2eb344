// Scale-out: two reconcilers on one cluster follow two folders of one repository (GIT_PATH), each under its
// own instance name (IMAGE_GITOPS_INSTANCE), in one namespace. A real kube-apiserver, whose audit log says
// which instance wrote what (each has its own user agent), and a real git server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { configFromEnv, type ReconcilerConfig } from '../../../src/config/reconciler-config.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { LABELS } from '../../../src/core/labels.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Reconciler } from '../../../src/engine/reconciler.js';
import { KubeClient } from '../../../src/kube/client.js';
import { ADOPT_ANNOTATION } from '../../../src/plan/plan.js';
import { Daemon } from '../../../src/run/daemon.js';
import type { LeaseSpec } from '../../../src/run/leader.js';
import { StatusStore, statusConfigMapName } from '../../../src/status/store.js';
import { type ControlPlane, controlPlane } from '../../support/control-plane.js';
import { prepullManifest } from '../../support/engine-harness.js';
import { startGitServer, type TestGitServer } from '../../support/git-server.js';
import { imagesOf } from '../../support/objects.js';
import { waitFor } from '../../support/processes.js';
import { makeTempDir } from '../../support/tmp.js';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;
const READS = ['get', 'list', 'watch'];

interface Instance {
  name: string;
  agent: string;
  config: ReconcilerConfig;
  kube: KubeClient;
  reconciler: Reconciler;
}

interface Write {
  verb: string;
  resource: string;
  name: string;
}

const prepull = (name: string, tag = '1.36') => prepullManifest(name, { busybox: `busybox:${tag}` });

describe('two instances side by side, one folder of one repository each (scale-out)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let git: TestGitServer;
  let namespace: string;
  let repo: string;
  let repoCount = 0;
  const clients: KubeClient[] = [];

  before(async () => {
    cp = await controlPlane();
    git = await startGitServer();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  after(async () => git?.stop());

  /** One repository with a folder per team, and a fresh namespace both instances share. */
  async function repository(files: Record<string, string>): Promise<string> {
    repo = `scale-out-${++repoCount}`;
    namespace = await cp.newNamespace('scale-out');
    return git.createRepo(repo, files);
  }

  /** A reconciler as `image-gitops run` makes one from its environment, with a user agent of its own. */
  function instance(name: string, url: string, env: Record<string, string> = {}): Instance {
    const agent = `image-gitops-${name}`;
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: agent });
    clients.push(kube);
    const config = configFromEnv({
      GIT_URL: url,
      GIT_PATH: name,
      IMAGE_GITOPS_INSTANCE: name,
      NAMESPACE: namespace,
      KUBECONFIG: cp.kubeconfigPath,
      GIT_CACHE_DIR: join(makeTempDir(`git-cache-${name}`), 'repo'),
      ...env,
    });
    return { name, agent, config, kube, reconciler: new Reconciler({ config, kube }) };
  }

  /** Names of objects by the instance label they carry, sorted. */
  function byInstanceLabel(objects: KubeObject[]): Record<string, string[]> {
    const byInstance: Record<string, string[]> = {};
    for (const o of objects) {
      const owner = o.metadata.labels?.[LABELS.instance] ?? '(none)';
      byInstance[owner] = [...(byInstance[owner] ?? []), o.metadata.name].sort();
    }
    return byInstance;
  }

  const daemonSetsByInstance = async () => byInstanceLabel(await cp.kubeApi.list(DAEMONSET, namespace));
  const statusConfigMapsByInstance = async () =>
    byInstanceLabel(await cp.kubeApi.list(CONFIGMAP, namespace, `${LABELS.managedBy}=image-gitops-status`));

  /** What an instance owns in the namespace, name → resourceVersion: its objects and its status ConfigMaps. */
  async function versionsOf(owner: Instance): Promise<Map<string, string>> {
    const found = [
      ...(await cp.kubeApi.list(DAEMONSET, namespace, `${LABELS.instance}=${owner.name}`)),
      ...(await cp.kubeApi.list(CONFIGMAP, namespace, `${LABELS.instance}=${owner.name}`)),
    ];
    return new Map(
      found.map((o: KubeObject) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion!]),
    );
  }

  /** Every request of one instance since the mark that changed something, from the API server's audit log. */
  function writesOf(who: Instance, mark: number): Write[] {
    return cp
      .auditEvents()
      .slice(mark)
      .filter((e) => e.userAgent === who.agent && !READS.includes(e.verb))
      .map((e) => ({ verb: e.verb, resource: e.objectRef?.resource ?? '', name: e.objectRef?.name ?? '' }));
  }

  it('each applies only the manifests under its GIT_PATH, labelled with its instance, and keeps its own status', async () => {
    const url = await repository({
      'team-a/a1.yaml': prepull('a1'),
      'team-a/a2.yaml': prepull('a2'),
      'team-b/b1.yaml': prepull('b1'),
      'README.md': 'two teams',
    });
    const a = instance('team-a', url);
    const b = instance('team-b', url);
    const reportA = await a.reconciler.sync('manual');
    const reportB = await b.reconciler.sync('manual');
    assert.equal(reportA.result, 'Succeeded', JSON.stringify(reportA.error ?? reportA.manifests));
    assert.equal(reportB.result, 'Succeeded', JSON.stringify(reportB.error ?? reportB.manifests));
    assert.deepEqual(
      reportA.manifests.map((m) => m.key),
      ['ImagePrepull/a1', 'ImagePrepull/a2'],
    );
    assert.deepEqual(
      reportB.manifests.map((m) => m.key),
      ['ImagePrepull/b1'],
    );
    assert.deepEqual(await daemonSetsByInstance(), { 'team-a': ['a1', 'a2'], 'team-b': ['b1'] });
    assert.deepEqual(await statusConfigMapsByInstance(), {
      'team-a': [statusConfigMapName('team-a'), `${statusConfigMapName('team-a')}-0`],
      'team-b': [statusConfigMapName('team-b'), `${statusConfigMapName('team-b')}-0`],
    });
  });

  it("removing a manifest from one folder prunes only that instance's object; the other's objects and status are not written", async () => {
    const url = await repository({
      'team-a/a1.yaml': prepull('a1'),
      'team-a/a2.yaml': prepull('a2'),
      'team-a/a3.yaml': prepull('a3'),
      'team-b/b1.yaml': prepull('b1'),
      'team-b/b2.yaml': prepull('b2'),
    });
    const a = instance('team-a', url);
    const b = instance('team-b', url);
    await a.reconciler.sync('manual');
    await b.reconciler.sync('manual');
    const bBefore = await versionsOf(b);
    const aBefore = await versionsOf(a);
    assert.equal(bBefore.size, 4, `b1, b2 and two status ConfigMaps: ${[...bBefore.keys()]}`);

    await git.commitFiles(repo, { 'team-a/a3.yaml': null }, 'team a drops a3');
    let mark = cp.auditEvents().length;
    const pruned = await a.reconciler.sync('manual');
    assert.equal(pruned.counts.pruned, 1);
    assert.deepEqual(await daemonSetsByInstance(), { 'team-a': ['a1', 'a2'], 'team-b': ['b1', 'b2'] });
    assert.deepEqual(await versionsOf(b), bBefore, "team-b's objects and status ConfigMaps unchanged");
    const writesA = writesOf(a, mark);
    assert.ok(
      writesA.some((w) => w.verb === 'delete' && w.resource === 'daemonsets' && w.name === 'a3'),
      JSON.stringify(writesA),
    );
    const namesOfB = new Set([...bBefore.keys()].map((k) => k.split('/')[1]));
    assert.deepEqual(
      writesA.filter((w) => namesOfB.has(w.name)),
      [],
      "team-a wrote nothing of team-b's",
    );

    // The commit moved for team-b too: it reads it, finds its folder unchanged and touches nothing of team-a's.
    const aAfterPrune = await versionsOf(a);
    mark = cp.auditEvents().length;
    const unchanged = await b.reconciler.sync('manual');
    assert.equal(unchanged.counts.pruned, 0);
    assert.equal(unchanged.counts.unchanged, 2);
    assert.deepEqual(await versionsOf(a), aAfterPrune, "team-a's objects and status ConfigMaps unchanged");
    const writesB = writesOf(b, mark);
    assert.ok(
      writesB.some((w) => w.name === statusConfigMapName('team-b')),
      `its own status names the new commit: ${JSON.stringify(writesB)}`,
    );
    const namesOfA = new Set([...aBefore.keys()].map((k) => k.split('/')[1]));
    assert.deepEqual(
      writesB.filter((w) => namesOfA.has(w.name)),
      [],
      "team-b wrote nothing of team-a's",
    );
    assert.deepEqual(
      writesB.filter((w) => w.resource === 'daemonsets'),
      [],
      'not even its own DaemonSets: nothing in team-b/ changed',
    );
  });

  it('a mass-prune guard weighs what its own instance owns, not what the other owns beside it', async () => {
    const url = await repository({
      'team-a/a1.yaml': prepull('a1'),
      'team-a/a2.yaml': prepull('a2'),
      'team-a/a3.yaml': prepull('a3'),
      'team-b/b1.yaml': prepull('b1'),
      'team-b/b2.yaml': prepull('b2'),
      'team-b/b3.yaml': prepull('b3'),
      'team-b/b4.yaml': prepull('b4'),
    });
    const a = instance('team-a', url);
    const b = instance('team-b', url);
    await a.reconciler.sync('manual');
    await b.reconciler.sync('manual');
    // Two of team-a's three objects: over half of its own (refused), two of seven in the namespace (would pass).
    await git.commitFiles(repo, { 'team-a/a2.yaml': null, 'team-a/a3.yaml': null }, 'team a drops two');
    const refused = await a.reconciler.sync('manual');
    assert.equal(refused.error?.code, 'PRUNE_REFUSED');
    assert.deepEqual(refused.pruneRefused, { wouldDelete: 2, owned: 3, maxShare: 0.5 });
    assert.deepEqual(await daemonSetsByInstance(), {
      'team-a': ['a1', 'a2', 'a3'],
      'team-b': ['b1', 'b2', 'b3', 'b4'],
    });
    // And team-b's guard does not count team-a's objects either: its own two of four pass.
    await git.commitFiles(repo, { 'team-b/b3.yaml': null, 'team-b/b4.yaml': null }, 'team b drops two');
    const allowed = await b.reconciler.sync('manual');
    assert.equal(allowed.counts.pruned, 2, JSON.stringify(allowed.pruneRefused));
    assert.deepEqual(await daemonSetsByInstance(), { 'team-a': ['a1', 'a2', 'a3'], 'team-b': ['b1', 'b2'] });
  });

  it('one manifest name in both folders: the second instance refuses the object the first owns, and takes it only once freed', async () => {
    const url = await repository({
      'team-a/shared.yaml': prepull('shared', '1.36'),
      'team-a/a1.yaml': prepull('a1'),
      'team-a/a2.yaml': prepull('a2'),
      'team-b/shared.yaml': prepull('shared', '1.37'),
      'team-b/b1.yaml': prepull('b1'),
    });
    const a = instance('team-a', url);
    const b = instance('team-b', url);
    await a.reconciler.sync('manual');
    const held = await cp.kubeApi.get(DAEMONSET, namespace, 'shared');
    assert.equal(held?.metadata.labels?.[LABELS.instance], 'team-a');

    const mark = cp.auditEvents().length;
    const report = await b.reconciler.sync('manual');
    const shared = report.manifests.find((m) => m.key === 'ImagePrepull/shared');
    assert.equal(shared?.result, 'Failed');
    assert.equal(shared?.problems[0]?.code, 'OBJECT_CONFLICT');
    assert.match(
      shared?.problems[0]?.message ?? '',
      /^DaemonSet .*\/shared already exists and belongs to image-gitops instance "team-a", not to this one \("team-b"\): it is left as it is\. Two instances cannot render one object: rename the manifest in one of them/,
    );
    assert.equal(shared?.problems[0]?.location?.file, 'shared.yaml');
    assert.equal(report.manifests.find((m) => m.key === 'ImagePrepull/b1')?.result, 'Applied');
    const still = await cp.kubeApi.get(DAEMONSET, namespace, 'shared');
    assert.equal(still?.metadata.resourceVersion, held?.metadata.resourceVersion, 'not written');
    assert.equal(still?.metadata.labels?.[LABELS.instance], 'team-a');
    assert.deepEqual(imagesOf(still), ['busybox:1.36']);
    assert.deepEqual(
      writesOf(b, mark).filter((w) => w.name === 'shared'),
      [],
    );

    // Once team-a lets it go (prunes it), the name is free and team-b creates its own.
    await git.commitFiles(repo, { 'team-a/shared.yaml': null }, 'team a drops shared');
    assert.equal((await a.reconciler.sync('manual')).counts.pruned, 1);
    const taken = await b.reconciler.sync('manual');
    assert.equal(taken.manifests.find((m) => m.key === 'ImagePrepull/shared')?.result, 'Applied');
    const now = await cp.kubeApi.get(DAEMONSET, namespace, 'shared');
    assert.equal(now?.metadata.labels?.[LABELS.instance], 'team-b');
    assert.deepEqual(imagesOf(now), ['busybox:1.37']);
  });

  it('hands an object from one instance to the other without deleting it, when its owner annotates it adopt', async () => {
    const url = await repository({
      'team-a/moving.yaml': prepull('moving', '1.36'),
      'team-a/a1.yaml': prepull('a1'),
      'team-a/a2.yaml': prepull('a2'),
      'team-b/b1.yaml': prepull('b1'),
    });
    const a = instance('team-a', url);
    const b = instance('team-b', url);
    await a.reconciler.sync('manual');
    await b.reconciler.sync('manual');
    const before = await cp.kubeApi.get(DAEMONSET, namespace, 'moving');
    await cp.kubeApi.request(
      'PATCH',
      `/apis/apps/v1/namespaces/${namespace}/daemonsets/moving`,
      { metadata: { annotations: { [ADOPT_ANNOTATION]: 'true' } } },
      'application/merge-patch+json',
    );
    await git.commitFiles(
      repo,
      { 'team-a/moving.yaml': null, 'team-b/moving.yaml': prepull('moving', '1.37') },
      'moving goes from team a to team b',
    );
    const left = await a.reconciler.sync('manual');
    assert.equal(left.counts.pruned, 0, 'team-a keeps the adopted object');
    const took = await b.reconciler.sync('manual');
    assert.equal(took.manifests.find((m) => m.key === 'ImagePrepull/moving')?.result, 'Applied');
    const after = await cp.kubeApi.get(DAEMONSET, namespace, 'moving');
    assert.equal(after?.metadata.uid, before?.metadata.uid, 'the same object, never deleted');
    assert.equal(after?.metadata.labels?.[LABELS.instance], 'team-b');
    assert.deepEqual(imagesOf(after), ['busybox:1.37']);
    assert.deepEqual(await daemonSetsByInstance(), { 'team-a': ['a1', 'a2'], 'team-b': ['b1', 'moving'] });
  });

  it('an instance named like the shard of another ("team" and "team-0") does not overwrite its status: the later one fails, saying why', async () => {
    // The status of instance "team" is image-gitops-status-team and its shard image-gitops-status-team-0, the
    // name of the head of instance "team-0".
    const url = await repository({ 'team-a/a1.yaml': prepull('a1'), 'team-b/b1.yaml': prepull('b1') });
    const team = instance('team', url, { GIT_PATH: 'team-a' });
    const team0 = instance('team-0', url, { GIT_PATH: 'team-b' });
    assert.equal((await team.reconciler.sync('manual')).result, 'Succeeded');
    const statusOfTeam = await versionsOf(team);
    assert.ok(
      statusOfTeam.has(`ConfigMap/${statusConfigMapName('team-0')}`),
      [...statusOfTeam.keys()].join(),
    );

    const clash = await team0.reconciler.sync('manual');
    assert.equal(clash.result, 'Failed');
    assert.equal(clash.error?.code, 'STATUS_NOT_SAVED');
    assert.match(
      clash.error?.message ?? '',
      /ConfigMap image-gitops-status-team-0 .*holds the status of image-gitops instance "team"/,
    );
    assert.deepEqual(await versionsOf(team), statusOfTeam, 'the status of "team" is not written');
    const restarted = await new StatusStore(team.kube, namespace, 'team').load();
    assert.deepEqual(
      restarted?.manifests.map((m) => m.key),
      ['ImagePrepull/a1'],
      'and still reads back whole',
    );
  });

  describe('run as daemons with leader election', () => {
    const daemons: Daemon[] = [];
    afterEach(async () => {
      await Promise.all(daemons.splice(0).map((d) => d.shutdown('test end')));
    });

    it('both lead at once, each on its own Lease, and both sync', async () => {
      const url = await repository({ 'team-a/a1.yaml': prepull('a1'), 'team-b/b1.yaml': prepull('b1') });
      for (const name of ['team-a', 'team-b']) {
        // LEASE_NAME per instance, as the Helm chart sets it for each release
        const one = instance(name, url, { LEADER_ELECTION: 'true', LEASE_NAME: `${name}-leader` });
        const config = one.config;
        const daemon = new Daemon(
          {
            ...config,
            schedule: '1h',
            http: { host: '127.0.0.1', port: 0 },
            leaderElection: { ...config.leaderElection, identity: `${name}-pod`, leaseDurationSeconds: 3 },
            retryPeriodMs: 250,
            shutdownGraceMs: 5000,
          },
          { engine: one.reconciler, leaseClient: one.kube, logger: silentLogger },
        );
        daemons.push(daemon);
        await daemon.start();
      }
      await waitFor(() => daemons.every((d) => d.isLeader() && d.isReady()), {
        timeoutMs: 60_000,
        what: 'both daemons to lead and sync',
      });
      const holders: Record<string, string | undefined> = {};
      for (const lease of await cp.kubeApi.list(LEASE, namespace))
        holders[lease.metadata.name] = (lease.spec as LeaseSpec).holderIdentity;
      assert.deepEqual(holders, { 'team-a-leader': 'team-a-pod', 'team-b-leader': 'team-b-pod' });
      assert.deepEqual(await daemonSetsByInstance(), { 'team-a': ['a1'], 'team-b': ['b1'] });
    });
  });
});
