// deploy/base against a real kube-apiserver: every object passes server-side dry-run, the kustomization
// builds and applies with kubectl, and the RBAC grants what the reconciler needs and nothing more.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { installServiceMonitorCrd } from '../support/crds.js';

const base = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'base');
const SA = 'system:serviceaccount:image-gitops:image-gitops';

function kubectl(cp: ControlPlane, args: string[]): string {
  return execFileSync('kubectl', [...args, '--kubeconfig', cp.kubeconfigPath], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('deploy/base manifests', function () {
  this.timeout(120_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await controlPlane();
    // The Prometheus Operator's CRD is not in a bare API server: a minimal one lets the ServiceMonitor be checked.
    await installServiceMonitorCrd(cp.kubeApi);
    // Namespaced objects can only be dry-run into a namespace that exists.
    await cp.kubeApi
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'image-gitops' } })
      .catch((error) => {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
      });
  });

  const files = readdirSync(base).filter((f) => f.endsWith('.yaml'));

  it('has the files of the base', () => {
    assert.deepEqual(files.sort(), [
      'deployment.yaml',
      'kustomization.yaml',
      'namespace.yaml',
      'rbac.yaml',
      'secret-example.yaml',
      'service.yaml',
      'serviceaccount.yaml',
      'servicemonitor.yaml',
    ]);
  });

  // kustomization.yaml is kustomize's own configuration, not an object: it is checked by the kubectl -k test.
  for (const file of files.filter((f) => f !== 'kustomization.yaml')) {
    it(`${file}: every object passes a server-side dry-run apply`, async () => {
      const docs = parseAllDocuments(readFileSync(join(base, file), 'utf8'));
      const objects = docs.map((d) => d.toJSON() as KubeObject).filter((o) => o);
      assert.ok(objects.length > 0);
      for (const object of objects) {
        const stored = await cp.kubeApi.apply(object, { dryRun: true });
        assert.equal(stored.kind, object.kind);
        assert.equal(stored.metadata.name, object.metadata.name);
      }
    });
  }

  it('the Deployment meets the restricted Pod Security profile', async () => {
    const deployment = parseAllDocuments(readFileSync(join(base, 'deployment.yaml'), 'utf8'))[0]!.toJSON();
    const ns = await cp.newNamespace('restricted');
    await cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    // The API server's PodSecurity admission rejects a Deployment's pods only at pod creation; a bare Pod
    // with the Deployment's pod template is checked at once.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'image-gitops-template', namespace: ns },
      spec: { ...deployment.spec.template.spec, serviceAccountName: 'default' },
    };
    const stored = await cp.kubeApi.apply(pod as KubeObject, { dryRun: true });
    assert.equal(stored.kind, 'Pod');
    // the control: without the container's securityContext the same pod is refused
    const container = { ...deployment.spec.template.spec.containers[0], securityContext: undefined };
    const loose = { ...pod, spec: { ...pod.spec, containers: [container] } };
    await assert.rejects(
      cp.kubeApi.apply(loose as KubeObject, { dryRun: true }),
      /violates PodSecurity "restricted/,
    );
  });

  it('kubectl builds the kustomization and the server accepts it in a dry-run', () => {
    const out = kubectl(cp, ['apply', '--dry-run=server', '-k', base]);
    for (const expected of [
      'namespace/image-gitops',
      'serviceaccount/image-gitops',
      'role.rbac.authorization.k8s.io/image-gitops',
      'clusterrole.rbac.authorization.k8s.io/image-gitops-workload-reader',
      'deployment.apps/image-gitops',
      'service/image-gitops',
      'servicemonitor.monitoring.coreos.com/image-gitops',
    ]) {
      assert.match(out, new RegExp(`^${expected.replace(/\./g, '\\.')} .*\\(server dry run\\)$`, 'm'));
    }
  });

  describe('RBAC, applied for real and asked with kubectl auth can-i as the ServiceAccount', () => {
    before(() => {
      kubectl(cp, [
        'apply',
        '--server-side',
        '--field-manager',
        'deploy-test',
        '-f',
        join(base, 'serviceaccount.yaml'),
      ]);
      kubectl(cp, [
        'apply',
        '--server-side',
        '--field-manager',
        'deploy-test',
        '-f',
        join(base, 'rbac.yaml'),
      ]);
    });

    function can(verb: string, resource: string, namespace?: string): boolean {
      const args = [
        'auth',
        'can-i',
        verb,
        resource,
        '--as',
        SA,
        ...(namespace ? ['-n', namespace] : ['--all-namespaces']),
      ];
      try {
        return kubectl(cp, args).trim() === 'yes';
      } catch (error) {
        // can-i exits 1 with "no"
        const out = String((error as { stdout?: string }).stdout ?? '').trim();
        if (out.startsWith('no')) return false;
        throw error;
      }
    }

    it('may manage what the kinds render, in its own namespace', () => {
      for (const resource of [
        'jobs.batch',
        'cronjobs.batch',
        'configmaps',
        'secrets',
        'services',
        'daemonsets.apps',
        'statefulsets.apps',
      ]) {
        for (const verb of ['create', 'patch', 'delete', 'list']) {
          assert.equal(can(verb, resource, 'image-gitops'), true, `${verb} ${resource}`);
        }
      }
      assert.equal(can('get', 'pods/log', 'image-gitops'), true);
      assert.equal(can('create', 'events', 'image-gitops'), true);
      assert.equal(can('update', 'leases.coordination.k8s.io', 'image-gitops'), true);
    });

    it('may only read workloads across the cluster', () => {
      for (const resource of [
        'deployments.apps',
        'statefulsets.apps',
        'daemonsets.apps',
        'cronjobs.batch',
        'jobs.batch',
        'pods',
      ]) {
        assert.equal(can('list', resource), true, `list ${resource}`);
        assert.equal(can('delete', resource, 'kube-system'), false, `delete ${resource} in kube-system`);
        assert.equal(can('patch', resource, 'default'), false, `patch ${resource} in default`);
      }
    });

    it('may not touch Secrets, Roles or Leases outside its namespace, nor delete pods or deployments anywhere', () => {
      assert.equal(can('get', 'secrets', 'kube-system'), false);
      assert.equal(can('create', 'jobs.batch', 'default'), false);
      assert.equal(can('update', 'leases.coordination.k8s.io', 'kube-system'), false);
      assert.equal(can('create', 'roles.rbac.authorization.k8s.io', 'image-gitops'), false);
      assert.equal(can('delete', 'pods', 'image-gitops'), false);
      assert.equal(can('delete', 'deployments.apps', 'image-gitops'), false);
      assert.equal(can('create', 'clusterrolebindings.rbac.authorization.k8s.io'), false);
    });
  });
});
