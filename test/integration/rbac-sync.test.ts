// deploy/base applied for real, then a full sync of sample-repo/ by a Reconciler that authenticates as the
// reconciler's ServiceAccount: what the kinds need is granted (no 403 anywhere in the sync), and the same
// identity is refused what lies outside its role.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromEnv } from '../../src/config/reconciler-config.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { Reconciler } from '../../src/engine/reconciler.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { statusConfigMapName } from '../../src/status/store.js';
import type { ManifestStatus, SyncReport } from '../../src/status/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { installServiceMonitorCrd } from '../support/crds.js';
import { startGitServer, type TestGitServer } from '../support/git-server.js';
import { applySampleSecrets, sampleRepoFiles } from '../support/sample-repo.js';
import { makeTempDir } from '../support/tmp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NAMESPACE = 'image-gitops';
// deploy/base's ServiceAccount, as the API server names it. A client certificate carries the same user
// name and groups a token of that ServiceAccount would: RBAC's ServiceAccount subjects match the name.
const SA_USER = `system:serviceaccount:${NAMESPACE}:image-gitops`;
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`];
const INSTANCE = 'rbac-sync';

async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KubeApiError) return error.status;
    throw error;
  }
  return 200;
}

describe('a full sync of sample-repo/ as the ServiceAccount of deploy/base', function () {
  this.timeout(240_000);
  let cp: ControlPlane;
  let git: TestGitServer;
  let asServiceAccount: KubeClient;
  let report: SyncReport;
  let auditMark: number;
  let otherNamespace: string;

  const byKind = (kind: string): ManifestStatus[] => report.manifests.filter((m) => m.kind === kind);
  const saEventsSinceMark = () =>
    cp
      .auditEvents()
      .slice(auditMark)
      .filter((e) => e.user.username === SA_USER);

  before(async () => {
    cp = await controlPlane();
    // deploy/base names a ServiceMonitor: the Prometheus Operator's CRD must exist for it to apply.
    await installServiceMonitorCrd(cp.kubeApi);
    execFileSync(
      'kubectl',
      [
        'apply',
        '--server-side',
        '--field-manager',
        'rbac-sync-test',
        '-k',
        join(root, 'deploy', 'base'),
        '--kubeconfig',
        cp.kubeconfigPath,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await applySampleSecrets(cp.kubeApi, NAMESPACE);
    // A workload in another namespace: ImageBackup reads the workloads of the whole cluster.
    otherNamespace = await cp.newNamespace('team-workloads');
    await cp.kubeApi.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: otherNamespace },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.27.3-alpine' }] },
        },
      },
    } as KubeObject);

    git = await startGitServer();
    const url = await git.createRepo('sample-repo', sampleRepoFiles());
    asServiceAccount = KubeClient.fromKubeconfig(cp.kubeconfigFor(SA_USER, SA_GROUPS), {
      userAgent: 'image-gitops-as-service-account',
    });
    const config = configFromEnv({
      GIT_URL: url,
      NAMESPACE,
      GIT_CACHE_DIR: join(makeTempDir('rbac-sync-git'), 'repo'),
      IMAGE_GITOPS_INSTANCE: INSTANCE,
    });
    auditMark = cp.auditEvents().length;
    report = await new Reconciler({ config, kube: asServiceAccount }).sync('manual');
  });

  after(async () => {
    asServiceAccount?.close();
    await git?.stop();
  });

  it('authenticates as the ServiceAccount, not as an admin', () => {
    const events = saEventsSinceMark();
    assert.ok(events.length > 0);
    for (const event of events) {
      assert.deepEqual(
        event.user.groups?.filter((g) => g !== 'system:authenticated').sort(),
        [...SA_GROUPS].sort(),
      );
    }
  });

  it('is refused nothing during the sync: no request answered 403', () => {
    const forbidden = saEventsSinceMark()
      .filter((e) => e.responseStatus?.code === 403)
      .map((e) => `${e.verb} ${e.requestURI}`);
    assert.deepEqual(forbidden, []);
    const failedObjects = report.manifests.flatMap((m) => m.objects.filter((o) => o.outcome === 'failed'));
    assert.deepEqual(failedObjects, []);
    assert.equal(report.counts.failed, 0);
  });

  // OneShot and OnceByTag ImageSyncs ask the source registry (digest, tag list) at sync time: there is no
  // internet here. Every other manifest needs only the API server, a Recurrent ImageSync included (a CronJob).
  const needsRegistryAtSync = (m: ManifestStatus) =>
    m.kind === 'ImageSync' && ['argocd-2-13', 'argocd-2-13-rc', 'nginx-1-27'].includes(m.name);

  it('applies every manifest that works offline', () => {
    const offline = report.manifests.filter((m) => !needsRegistryAtSync(m));
    assert.deepEqual([...new Set(offline.map((m) => m.kind))].sort(), [
      'ImageBackup',
      'ImageBuild',
      'ImagePrepull',
      'ImageSync',
      'RegistryMirror',
    ]);
    for (const manifest of offline) {
      assert.equal(manifest.result, 'Applied', `${manifest.key}: ${manifest.message}`);
      assert.ok(manifest.objects.length > 0, manifest.key);
      assert.ok(
        manifest.objects.every((o) => o.outcome === 'applied'),
        manifest.key,
      );
    }
    const recurrent = offline.find((m) => m.kind === 'ImageSync');
    assert.ok(recurrent?.objects.some((o) => o.kind === 'CronJob'));
    assert.deepEqual(report.fileProblems, []);
  });

  it('reads the workloads of other namespaces for ImageBackup', async () => {
    const requests = saEventsSinceMark().filter(
      (e) => e.verb === 'list' && e.objectRef?.resource === 'deployments' && !e.objectRef.namespace,
    );
    assert.ok(requests.length > 0, 'a cluster-wide list of deployments');
    assert.ok(requests.every((e) => e.responseStatus?.code === 200));
    // At least deploy/base's Deployment in image-gitops and the one in the other namespace.
    for (const backup of byKind('ImageBackup')) {
      const observed = String(backup.details?.observed ?? '');
      const workloads = Number(/^(\d+) workloads/.exec(observed)?.[1]);
      assert.ok(workloads >= 2, `${backup.key}: ${observed}`);
    }
  });

  it('fails the ImageSyncs that ask a registry at sync time, only because its name does not resolve', () => {
    const failed = report.manifests.filter((m) => m.result === 'Failed');
    assert.deepEqual(
      failed.map((m) => m.key).sort(),
      report.manifests
        .filter(needsRegistryAtSync)
        .map((m) => m.key)
        .sort(),
    );
    assert.equal(failed.length, 3);
    for (const manifest of failed) {
      assert.deepEqual(manifest.objects, [], manifest.key);
      assert.ok(manifest.problems.length > 0, manifest.key);
      for (const problem of manifest.problems) {
        assert.equal(problem.code, 'REGISTRY', `${manifest.key}: ${problem.message}`);
        assert.match(
          problem.message,
          /getaddrinfo (ENOTFOUND|EAI_AGAIN) (quay\.io|registry-1\.docker\.io)$/,
          manifest.key,
        );
      }
    }
    assert.equal(report.result, 'PartiallyFailed');
  });

  it('writes its status ConfigMap and Events in its namespace', async () => {
    const cm = await cp.kubeApi.get(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      NAMESPACE,
      statusConfigMapName(INSTANCE),
    );
    assert.ok(cm, 'status ConfigMap');
    const writes = saEventsSinceMark().filter(
      (e) => e.objectRef?.resource === 'events' && e.verb === 'create',
    );
    assert.ok(writes.length >= report.manifests.length, `${writes.length} Events created`);
    assert.ok(writes.every((e) => e.responseStatus?.code === 201));
    const events = await cp.kubeApi.list({ apiVersion: 'v1', kind: 'Event' }, NAMESPACE);
    const ours = events.filter(
      (e) =>
        (e as unknown as { involvedObject: { name: string } }).involvedObject.name ===
        statusConfigMapName(INSTANCE),
    );
    assert.ok(ours.length >= report.manifests.length);
  });

  it('is refused a Job in default, the Secrets of kube-system and a ClusterRoleBinding', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'escape', namespace: 'default' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    };
    assert.equal(await refusal(asServiceAccount.create(job as KubeObject)), 403);
    assert.equal(
      await refusal(asServiceAccount.list({ apiVersion: 'v1', kind: 'Secret' }, 'kube-system')),
      403,
    );
    assert.equal(
      await refusal(asServiceAccount.get({ apiVersion: 'v1', kind: 'Secret' }, 'kube-system', 'anything')),
      403,
    );
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'image-gitops-escalation' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: SA_USER }],
    };
    assert.equal(await refusal(asServiceAccount.create(binding as KubeObject)), 403);
    // the control: the admin may do the first (as a dry run), so the 403s are the role's, not the request's
    await cp.kubeApi.apply(job as KubeObject, { dryRun: true });
  });
});
