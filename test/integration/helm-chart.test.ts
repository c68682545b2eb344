// The Helm chart against a real kube-apiserver: it lints, every object it renders passes a server-side
// dry-run (with default values and with the optional parts on), and what it renders grants and runs the
// reconciler as deploy/base does (security contexts, RBAC rules).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import { statusConfigMapName } from '../../src/status/store.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { installServiceMonitorCrd } from '../support/crds.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chart = join(root, 'deploy', 'helm', 'image-gitops');
const base = join(root, 'deploy', 'base');
const RELEASE = 'image-gitops';
const OPTIONAL_PARTS = ['--set', 'serviceMonitor.enabled=true', '--set', 'rbac.allowWorkloadRewrite=true'];

/** helm, built once per machine from the Go module proxy (test/kube/build-helm.sh). */
function helmBinary(): string {
  const out = execFileSync('bash', [join(root, 'test', 'kube', 'build-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

function find(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
}

// biome-ignore lint/suspicious/noExplicitAny: rendered objects are free-form YAML
type Loose = any;

describe('the Helm chart', function () {
  this.timeout(300_000);
  let helm: string;
  let cp: ControlPlane;
  let namespace: string;
  const baseObjects = parseObjects(
    ['deployment.yaml', 'rbac.yaml'].map((f) => readFileSync(join(base, f), 'utf8')).join('\n---\n'),
  );

  const run = (args: string[]) =>
    execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const template = (extra: string[] = []) =>
    parseObjects(run(['template', RELEASE, chart, '--namespace', namespace, ...extra]));

  before(async () => {
    helm = helmBinary();
    cp = await controlPlane();
    await installServiceMonitorCrd(cp.kubeApi);
    namespace = await cp.newNamespace('helm-release');
  });

  it('passes helm lint --strict, with default values and with the optional parts on', () => {
    assert.match(run(['lint', '--strict', chart]), /1 chart\(s\) linted, 0 chart\(s\) failed/);
    assert.match(
      run(['lint', '--strict', chart, ...OPTIONAL_PARTS]),
      /1 chart\(s\) linted, 0 chart\(s\) failed/,
    );
  });

  for (const [label, extra, expectedKinds] of [
    [
      'default values',
      [],
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'Role',
        'RoleBinding',
        'Secret',
        'Secret',
        'Service',
        'ServiceAccount',
      ],
    ],
    [
      'serviceMonitor.enabled and rbac.allowWorkloadRewrite',
      OPTIONAL_PARTS,
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'Role',
        'RoleBinding',
        'Secret',
        'Secret',
        'Service',
        'ServiceAccount',
        'ServiceMonitor',
      ],
    ],
  ] as const) {
    it(`renders objects the API server accepts in a server-side dry-run (${label})`, async () => {
      const objects = template([...extra]);
      assert.deepEqual(objects.map((o) => o.kind).sort(), [...expectedKinds]);
      for (const object of objects) {
        const stored = await cp.kubeApi.apply(object, { dryRun: true });
        assert.equal(stored.kind, object.kind);
        assert.equal(stored.metadata.name, object.metadata.name);
        if (stored.metadata.namespace !== undefined) assert.equal(stored.metadata.namespace, namespace);
      }
    });
  }

  it('runs the reconciler with the security context and volumes of deploy/base', () => {
    const objects = template();
    const rendered: Loose = find(objects, 'Deployment');
    const expected: Loose = find(baseObjects, 'Deployment');
    const pod = rendered.spec.template.spec;
    const basePod = expected.spec.template.spec;
    assert.deepEqual(pod.securityContext, basePod.securityContext);
    assert.equal(pod.containers.length, 1);
    const [container] = pod.containers;
    const [baseContainer] = basePod.containers;
    for (const field of ['securityContext', 'args', 'ports', 'volumeMounts', 'resources', 'startupProbe']) {
      assert.deepEqual(container[field], baseContainer[field], field);
    }
    for (const probe of ['livenessProbe', 'readinessProbe']) {
      assert.deepEqual(container[probe].httpGet, baseContainer[probe].httpGet, probe);
    }
    // the same volumes (names, kinds, size limits, file modes); only the Secrets' names follow the release
    const shape = (volumes: Loose[]) =>
      volumes.map((v) => (v.secret ? { ...v, secret: { ...v.secret, secretName: '(release)' } } : v));
    assert.deepEqual(shape(pod.volumes), shape(basePod.volumes));
    assert.equal(pod.serviceAccountName, find(objects, 'ServiceAccount').metadata.name);
    assert.equal(pod.terminationGracePeriodSeconds, basePod.terminationGracePeriodSeconds);
  });

  it('meets the restricted Pod Security profile', async () => {
    const rendered: Loose = find(template(), 'Deployment');
    const restricted = await cp.newNamespace('helm-restricted');
    await cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: restricted, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    // PodSecurity admission checks a Deployment's pods only when they are created; a bare Pod is checked at once.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chart-pod-template', namespace: restricted },
      spec: { ...rendered.spec.template.spec, serviceAccountName: 'default' },
    };
    const stored = await cp.kubeApi.apply(pod as KubeObject, { dryRun: true });
    assert.equal(stored.kind, 'Pod');
  });

  it('grants the RBAC rules of deploy/base, bound to its own ServiceAccount', () => {
    const objects = template();
    const sa = find(objects, 'ServiceAccount');
    for (const kind of ['Role', 'ClusterRole']) {
      assert.deepEqual(
        (find(objects, kind) as Loose).rules,
        (find(baseObjects, kind) as Loose).rules,
        `${kind} rules`,
      );
    }
    for (const [binding, role] of [
      ['RoleBinding', 'Role'],
      ['ClusterRoleBinding', 'ClusterRole'],
    ] as const) {
      const b: Loose = find(objects, binding);
      assert.deepEqual(b.roleRef, {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: role,
        name: find(objects, role).metadata.name,
      });
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: sa.metadata.name, namespace }]);
    }
    assert.equal(find(objects, 'Role').metadata.namespace, namespace);
  });

  it('with rbac.allowWorkloadRewrite, adds exactly the rewrite rules deploy/base documents in its comment', () => {
    // deploy/base keeps them commented out under "# For ImageBackup rewrite only:".
    const text = readFileSync(join(base, 'rbac.yaml'), 'utf8');
    const lines = text.slice(text.indexOf('# For ImageBackup rewrite only:')).split('\n').slice(1);
    const end = lines.findIndex((l) => !/^\s+#/.test(l));
    const commented = lines.slice(0, end === -1 ? lines.length : end);
    const rewriteRules = parse(commented.map((l) => l.replace(/^(\s*)# /, '$1')).join('\n'));
    assert.ok(Array.isArray(rewriteRules) && rewriteRules.length > 0);
    const rendered: Loose = template(OPTIONAL_PARTS).find((o) => o.kind === 'ClusterRole');
    const baseRules = (find(baseObjects, 'ClusterRole') as Loose).rules;
    assert.deepEqual(rendered.rules, [...baseRules, ...rewriteRules]);
    // and nothing but reading unless asked
    assert.ok(
      baseRules.every((r: { verbs: string[] }) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v))),
    );
  });

  describe('two releases side by side (scale-out: another repository, or another git.path)', () => {
    const envOf = (objects: KubeObject[]): Record<string, string> =>
      Object.fromEntries(
        (find(objects, 'Deployment') as Loose).spec.template.spec.containers[0].env.map((e: Loose) => [
          e.name,
          e.value,
        ]),
      );
    /** What one release names: its objects, and the Lease and status ConfigMap its reconciler will write. */
    const namesOf = (objects: KubeObject[], ns: string): string[] => {
      const env = envOf(objects);
      return [
        ...objects.map((o) => `${o.kind} ${o.metadata.namespace ?? '(cluster)'}/${o.metadata.name}`),
        `Lease ${ns}/${env.LEASE_NAME}`,
        `ConfigMap ${ns}/${statusConfigMapName(env.IMAGE_GITOPS_INSTANCE!)}`,
      ];
    };
    const releaseIn = (release: string, ns: string, extra: string[] = []) =>
      parseObjects(run(['template', release, chart, '--namespace', ns, ...OPTIONAL_PARTS, ...extra]));

    it('name no object alike, in one namespace and in two, and give each its own instance and Lease', async () => {
      const other = await cp.newNamespace('helm-other');
      const releases = [
        { ns: namespace, objects: releaseIn(RELEASE, namespace) },
        { ns: namespace, objects: releaseIn('team-b', namespace, ['--set', 'instance=team-b']) },
        // the same release name in another namespace
        { ns: other, objects: releaseIn(RELEASE, other, ['--set', 'instance=team-c']) },
      ];
      const names = releases.flatMap((r) => namesOf(r.objects, r.ns));
      const seen = new Set<string>();
      const clashes = names.filter((n) => seen.has(n) || !seen.add(n));
      assert.deepEqual(clashes, []);
      assert.deepEqual(
        releases.map((r) => [envOf(r.objects).IMAGE_GITOPS_INSTANCE, envOf(r.objects).LEASE_NAME]),
        [
          ['default', 'image-gitops-leader'],
          ['team-b', 'image-gitops-leader-team-b'],
          ['team-c', 'image-gitops-leader-team-c'],
        ],
      );
      for (const { objects } of releases) assert.equal(objects.length, 10);
      // each release's RBAC binds its own ServiceAccount to its own roles
      for (const { objects } of releases) {
        const sa = find(objects, 'ServiceAccount').metadata.name;
        for (const [binding, role] of [
          ['RoleBinding', 'Role'],
          ['ClusterRoleBinding', 'ClusterRole'],
        ] as const) {
          const b: Loose = find(objects, binding);
          assert.equal(b.roleRef.name, find(objects, role).metadata.name);
          assert.equal(b.subjects[0].name, sa);
        }
      }
    });

    it('refuses, at install, a second release with an instance name a release in the namespace already runs', async () => {
      const ns = await cp.newNamespace('helm-instances');
      const installDryRun = (release: string, extra: string[] = []) =>
        run([
          'install',
          release,
          chart,
          '--namespace',
          ns,
          '--kubeconfig',
          cp.kubeconfigPath,
          '--dry-run=server',
          ...extra,
        ]);
      // The first release's Deployment, as installed (by a chart before IMAGE_GITOPS_INSTANCE was set: "default").
      const first: Loose = find(releaseIn(RELEASE, ns), 'Deployment');
      first.metadata.annotations = {
        'meta.helm.sh/release-name': RELEASE,
        'meta.helm.sh/release-namespace': ns,
      };
      const container = first.spec.template.spec.containers[0];
      container.env = container.env.filter((e: Loose) => e.name !== 'IMAGE_GITOPS_INSTANCE');
      await cp.kubeApi.apply(first);

      assert.throws(
        () => installDryRun('team-b'),
        (error: Loose) =>
          /release "image-gitops" in namespace \S+ already runs image-gitops instance "default": give this release an instance of its own \(--set instance=<name>\)/.test(
            String(error.stderr),
          ),
      );
      assert.match(installDryRun('team-b', ['--set', 'instance=team-b']), /STATUS: pending-install/);
      assert.match(installDryRun(RELEASE), /STATUS: pending-install/, 'its own release is no other');
    });

    it('refuses an instance name that cannot name a Lease or a ConfigMap', () => {
      assert.throws(
        () => template(['--set', 'instance=Team_B']),
        (error: Loose) => /instance "Team_B": lower-case letters, digits and '-'/.test(String(error.stderr)),
      );
    });
  });

  it('annotates its ServiceAccount as asked (IRSA: eks.amazonaws.com/role-arn), and not by default', async () => {
    const role = 'arn:aws:iam::123456789012:role/image-gitops';
    const objects = template([
      '--set-string',
      `serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=${role}`,
    ]);
    const sa: Loose = find(objects, 'ServiceAccount');
    assert.deepEqual(sa.metadata.annotations, { 'eks.amazonaws.com/role-arn': role });
    await cp.kubeApi.apply(sa, { dryRun: true });
    assert.equal((find(template(), 'ServiceAccount') as Loose).metadata.annotations, undefined);
  });
});
