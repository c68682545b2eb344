// ImageBackup's rewrite RBAC on a real kube-apiserver: the rules deploy/base documents for the rewrite mode
// (the Helm chart's rbac.allowWorkloadRewrite renders the same ones) let the reconciler's identity patch
// every kind the rewrite code rewrites, bare Pods included, and manage its pull Secret in their namespace.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import { WORKLOAD_TYPES } from '../../src/kinds/image-backup/workloads.js';
import { KubeClient } from '../../src/kube/client.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';

// biome-ignore lint/suspicious/noExplicitAny: RBAC rules and pod specs are free-form here
type Loose = any;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SA_NAMESPACE = 'rewrite-rbac';
const SA_USER = `system:serviceaccount:${SA_NAMESPACE}:image-gitops`;
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${SA_NAMESPACE}`];
const MANAGER = 'image-gitops-backup-rewrite';

/** deploy/base's ClusterRole rules, and the rewrite rules it keeps commented out. */
function baseRules(): { read: Loose[]; rewrite: Loose[] } {
  const text = readFileSync(join(root, 'deploy', 'base', 'rbac.yaml'), 'utf8');
  const role = parseAllDocuments(text)
    .map((d) => d.toJSON() as Loose)
    .find((o) => o?.kind === 'ClusterRole');
  const lines = text.slice(text.indexOf('# For ImageBackup rewrite only:')).split('\n').slice(1);
  const end = lines.findIndex((l) => !/^\s+#/.test(l));
  const commented = lines.slice(0, end === -1 ? lines.length : end);
  return { read: role.rules, rewrite: parse(commented.map((l) => l.replace(/^(\s*)# /, '$1')).join('\n')) };
}

const podSpec = { containers: [{ name: 'app', image: 'docker.io/library/nginx:1.27' }] };
const template = { metadata: { labels: { app: 'web' } }, spec: podSpec };
const selector = { matchLabels: { app: 'web' } };

function workloadOf(kind: string, namespace: string): KubeObject {
  const metadata = { name: `web-${kind.toLowerCase()}`, namespace };
  switch (kind) {
    case 'Pod':
      return { apiVersion: 'v1', kind, metadata, spec: podSpec } as KubeObject;
    case 'CronJob':
      return {
        apiVersion: 'batch/v1',
        kind,
        metadata,
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } },
        },
      } as KubeObject;
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind,
        metadata,
        spec: { selector, serviceName: 'web', template },
      } as KubeObject;
    default:
      return { apiVersion: 'apps/v1', kind, metadata, spec: { selector, template } } as KubeObject;
  }
}

/** The patch the rewrite sends: the container's image only, under the rewrite's field manager. */
function imagePatch(object: KubeObject, path: readonly string[], image: string): KubeObject {
  const podSpecPatch: Loose = { containers: [{ name: 'app', image }] };
  const nested = path.reduceRight<Loose>((inner, key) => ({ [key]: inner }), podSpecPatch);
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: object.metadata.name, namespace: object.metadata.namespace },
    ...nested,
  } as KubeObject;
}

describe("ImageBackup rewrite RBAC (deploy/base's rewrite rules) on a real kube-apiserver", function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let asServiceAccount: KubeClient;
  let namespace: string;

  before(async () => {
    cp = await controlPlane();
    const { read, rewrite } = baseRules();
    await cp.kubeApi.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'rewrite-rbac-test' },
      rules: [...read, ...rewrite],
    } as KubeObject);
    await cp.kubeApi.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'rewrite-rbac-test' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rewrite-rbac-test' },
      subjects: [{ kind: 'ServiceAccount', name: 'image-gitops', namespace: SA_NAMESPACE }],
    } as KubeObject);
    namespace = await cp.newNamespace('rewritten');
    asServiceAccount = KubeClient.fromKubeconfig(cp.kubeconfigFor(SA_USER, SA_GROUPS), {
      userAgent: 'rewrite-rbac-test',
    });
  });

  after(() => asServiceAccount?.close());

  for (const type of WORKLOAD_TYPES.filter((t) => t.rewritable)) {
    it(`lets the rewrite patch a ${type.kind}'s image`, async () => {
      const object = workloadOf(type.kind, namespace);
      await cp.kubeApi.apply(object);
      const image = 'registry.example.com/backup/index_docker_io/library/nginx:1.27';
      const stored = (await asServiceAccount.apply(imagePatch(object, type.podSpecPath, image), {
        fieldManager: MANAGER,
        force: true,
      })) as Loose;
      const spec = type.podSpecPath.reduce<Loose>((node, key) => node?.[key], stored);
      assert.equal(spec.containers[0].image, image);
    });
  }

  it("lets it write, list and delete its pull Secret in a rewritten workload's namespace", async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'image-gitops-backup-pull-0123abcd', namespace },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') },
    } as KubeObject;
    await asServiceAccount.apply(secret);
    const listed = await asServiceAccount.list({ apiVersion: 'v1', kind: 'Secret' }, namespace);
    assert.ok(listed.some((s) => s.metadata.name === secret.metadata.name));
    await asServiceAccount.delete({ apiVersion: 'v1', kind: 'Secret' }, namespace, secret.metadata.name);
    assert.equal(
      await cp.kubeApi.get({ apiVersion: 'v1', kind: 'Secret' }, namespace, secret.metadata.name),
      undefined,
    );
  });
});
