// deploy/base applied for real, then a full sync of sample-repo/ by a Reconciler that authenticates as the
// reconciler's ServiceAccount: what the kinds need is granted (no 403 anywhere in the sync), and the same
// identity is refused what lies outside its role.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromEnv } from '../../src/config/reconciler-config.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { Reconciler } from '../../src/engine/reconciler.js';
import { jobCommand } from '../../src/jobs/job-template.js';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { statusConfigMapName } from '../../src/status/store.js';
import type { ManifestStatus, SyncReport } from '../../src/status/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { generateKeyPair, signImage } from '../support/cosign.js';
import { installServiceMonitorCrd } from '../support/crds.js';
import { startGitServer, type TestGitServer } from '../support/git-server.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, startRegistry, type TestRegistry } from '../support/registry.js';
import { applySampleSecrets, sampleRepoFiles } from '../support/sample-repo.js';
import { makeTempDir } from '../support/tmp.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NAMESPACE = 'image-gitops';
// deploy/base's ServiceAccount, as the API server names it. A client certificate carries the same user
// name and groups a token of that ServiceAccount would: RBAC's ServiceAccount subjects match the name.
const SA_USER = `system:serviceaccount:${NAMESPACE}:image-gitops`;
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`];
const INSTANCE = 'rbac-sync';

// The ImageSync samples that ask registries at sync time, pointed at loopback registries: `upstream` stands
// for quay.io and Docker Hub, `destination` for registry.example.com and Docker Hub's tchoupinax/. No test
// may depend on what this machine can or cannot reach (a public name resolves on some runners, not others).
const ASKS_REGISTRIES = [
  'image-sync/once-by-tag.yaml',
  'image-sync/one-shot.yaml',
  'image-sync/image-operator-image.yaml',
];
// An ImageSync with `verify`: it asks registries too, and reads the signature at the source.
const SIGNED = 'image-sync/signed.yaml';
const SIGNED_KEY = 'ImageSync/platform-api-1-4-2';
function onLoopback(
  files: Record<string, string>,
  upstream: TestRegistry,
  destination: TestRegistry,
): Record<string, string> {
  const out = { ...files };
  for (const path of ASKS_REGISTRIES) {
    const text = out[path];
    assert.ok(text, `sample-repo/${path}`);
    out[path] = text
      .replaceAll('quay.io', upstream.host)
      .replaceAll('registry.example.com', destination.host)
      .replace('image: nginx ', `image: ${upstream.host}/library/nginx `)
      .replace('name: tchoupinax/', `name: ${destination.host}/tchoupinax/`);
    assert.doesNotMatch(out[path]!, /quay\.io|registry\.example\.com|image: nginx |name: tchoupinax/, path);
  }
  // The signed sample copies from the organisation's own registry, `upstream` here (where the test pushes and
  // signs its image), to its production registry, `destination`.
  const signed = out[SIGNED];
  assert.ok(signed, `sample-repo/${SIGNED}`);
  out[SIGNED] = signed
    .replaceAll('registry.prod.example.com', destination.host)
    .replaceAll('registry.example.com', upstream.host);
  assert.doesNotMatch(out[SIGNED]!, /example\.com/, SIGNED);
  return out;
}

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
  let upstream: TestRegistry;
  let destination: TestRegistry;
  let asServiceAccount: KubeClient;
  let report: SyncReport;
  let auditMark: number;
  let otherNamespace: string;
  // The digest of the signed sample's source image, as pushed to `upstream`.
  let signedDigest: string;

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
    // The key pair the signed sample's image is signed with, made now: its public key in the sample's Secret.
    const keys = await generateKeyPair();
    await applySampleSecrets(cp.kubeApi, NAMESPACE, {
      cosignPublicKey: readFileSync(keys.publicKeyFile, 'utf8'),
    });
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

    [upstream, destination] = await Promise.all([startRegistry(), startRegistry()]);
    for (const tag of ['v2.13.0-rc1', 'v2.13.0-rc.2', 'v2.13.0', 'v2.13.1', 'v2.13.2', 'v2.14.0']) {
      await pushTestImage(upstream, 'argoproj/argocd', tag);
    }
    await pushTestImage(upstream, 'library/nginx', '1.27.3-alpine', {
      format: 'docker',
      architectures: ['amd64', 'arm64'],
    });
    signedDigest = await pushTestImage(upstream, 'platform/api', '1.4.2', { marker: 'platform/api 1.4.2' });
    await signImage(keys, `${upstream.host}/platform/api@${signedDigest}`);
    git = await startGitServer();
    const url = await git.createRepo('sample-repo', onLoopback(sampleRepoFiles(), upstream, destination));
    asServiceAccount = KubeClient.fromKubeconfig(cp.kubeconfigFor(SA_USER, SA_GROUPS), {
      userAgent: 'image-gitops-as-service-account',
    });
    const config = configFromEnv({
      GIT_URL: url,
      NAMESPACE,
      GIT_CACHE_DIR: join(makeTempDir('rbac-sync-git'), 'repo'),
      IMAGE_GITOPS_INSTANCE: INSTANCE,
      // The loopback registries speak plain HTTP.
      SYNC_REGISTRIES: JSON.stringify(
        [upstream, destination].map((r) => ({ host: r.host, tlsVerify: false })),
      ),
      // mirror-operator's files keep its hostess mode, which serves its certificate (sample Secret).
      DOCKER_CERTIFICATE_SECRET: 'quay-mirror-tls',
    });
    auditMark = cp.auditEvents().length;
    report = await new Reconciler({ config, kube: asServiceAccount }).sync('manual');
  });

  after(async () => {
    asServiceAccount?.close();
    await git?.stop();
    await Promise.all([upstream, destination].filter(Boolean).map((r) => r.stop()));
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

  // OneShot and OnceByTag ImageSyncs ask the source registry (digest, tag list) at sync time: here the
  // loopback registries. Every other manifest needs only the API server.
  const asksRegistries = (m: ManifestStatus) =>
    m.kind === 'ImageSync' &&
    ['argocd-2-13', 'argocd-2-13-rc', 'nginx-1-27', 'platform-api-1-4-2'].includes(m.name);

  it('applies every manifest', () => {
    assert.deepEqual([...new Set(report.manifests.map((m) => m.kind))].sort(), [
      'ImageBackup',
      'ImageBuild',
      'ImagePrepull',
      'ImageSync',
      'RegistryMirror',
    ]);
    for (const manifest of report.manifests) {
      assert.equal(manifest.result, 'Applied', `${manifest.key}: ${manifest.message}`);
      assert.ok(manifest.objects.length > 0, manifest.key);
      assert.ok(
        manifest.objects.every((o) => o.outcome === 'applied'),
        manifest.key,
      );
    }
    const recurrent = report.manifests.find((m) => m.kind === 'ImageSync' && !asksRegistries(m));
    assert.ok(recurrent?.objects.some((o) => o.kind === 'CronJob'));
    assert.deepEqual(report.fileProblems, []);
    assert.equal(report.result, 'Succeeded');
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

  it('asks the registries at sync time and renders copy Jobs for what the destination lacks', () => {
    const asking = report.manifests.filter(asksRegistries);
    assert.equal(asking.length, 4);
    for (const manifest of asking) {
      assert.deepEqual(manifest.problems, [], manifest.key);
      assert.ok(
        manifest.objects.some((o) => o.kind === 'Job'),
        `${manifest.key}: ${manifest.objects.map((o) => o.kind).join()}`,
      );
    }
    const jobs = saEventsSinceMark().filter(
      (e) => e.objectRef?.resource === 'jobs' && e.verb === 'patch' && e.responseStatus?.code !== 403,
    );
    assert.ok(jobs.length >= 4, `${jobs.length} copy Jobs applied as the ServiceAccount`);
  });

  it("verifies the signed sample's source digest with its Secret's public key, then copies that digest", async () => {
    const stem = signedDigest.replace(':', '-');
    assert.ok((await listTags(upstream, 'platform/api')).includes(`${stem}.sig`), 'signed by cosign');
    const signed = report.manifests.find((m) => m.key === SIGNED_KEY);
    assert.ok(signed, SIGNED_KEY);
    // Absent were verification skipped; NotSigned or BadSignature had the wrong key or digest been checked.
    assert.deepEqual(signed.details?.verification, [
      {
        sourceRef: '1.4.2',
        digest: signedDigest,
        state: 'Verified',
        via: 'tag',
        message: `${stem}.sig: signature 1 of 1 verifies`,
      },
    ]);
    assert.match(String(signed.details?.observed), /, 1 to copy, 1 verified \(/);
    const [name, ...more] = signed.objects.filter((o) => o.kind === 'Job').map((o) => o.name);
    assert.ok(name && more.length === 0, `${SIGNED_KEY}: one copy Job`);
    const job = await cp.kubeApi.get({ apiVersion: 'batch/v1', kind: 'Job' }, NAMESPACE, name);
    assert.ok(job, name);
    // The signature first, then the image by the digest verified, its tag last.
    const lines = (jobCommand(job)?.[2] ?? '').trim().split('\n');
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(
      lines[0]!,
      new RegExp(`platform/api:${stem}\\.sig docker://${destination.host}/platform/api:${stem}\\.sig$`),
    );
    assert.match(
      lines[1]!,
      new RegExp(`platform/api@${signedDigest} docker://${destination.host}/platform/api:1\\.4\\.2$`),
    );
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
