// The stored status on the real API server: 10,000 manifests of several objects each fit (sharded), a
// restart costs no write, a status that cannot be saved fails the sync loudly, file problems are stored and
// make `status` exit non-zero, a file that no longer parses is reported as invalid, CI files are ignored.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { main } from '../../../src/cli/main.js';
import { KubeClient } from '../../../src/kube/client.js';
import { withConditions } from '../../../src/status/conditions.js';
import { StatusStore, type StoredState, statusConfigMapName } from '../../../src/status/store.js';
import type { ManifestStatus } from '../../../src/status/types.js';
import { controlPlane } from '../../support/control-plane.js';
import {
  ENGINE_USER_AGENT,
  type EngineHarness,
  prepullManifest,
  startEngine,
} from '../../support/engine-harness.js';

const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
const KINDS = ['ImageSync', 'RegistryMirror', 'ImagePrepull', 'ImageBuild', 'ImageBackup'];

function uid(i: number, j: number): string {
  const hex = (n: number, width: number) =>
    ((n * 2654435761 + j * 40503) >>> 0).toString(16).padStart(width, '0').slice(-width);
  return `${hex(i, 8)}-${hex(i + 1, 4)}-4${hex(i + 2, 3)}-a${hex(i + 3, 3)}-${hex(i, 8)}${hex(j + 7, 4)}`;
}

/** The state as the store loads it: every manifest with its conditions, derived from its stored fields. */
function withDerived(state: StoredState): StoredState {
  return { ...state, manifests: state.manifests.map(withConditions) };
}

/** A state as 10,000 manifests of every kind leave it: 5 objects each, every object's applied version. */
function bigState(manifests: number, objectsPerManifest = 5): StoredState {
  const statuses: ManifestStatus[] = [];
  const appliedVersions: Record<string, string> = {};
  for (let i = 0; i < manifests; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const name = `manifest-${i.toString().padStart(5, '0')}-${kind.toLowerCase()}`;
    const objects = Array.from({ length: objectsPerManifest }, (_, j) => {
      appliedVersions[uid(i, j)] = j % 2 ? `g${(i % 7) + 1}` : `rv${100000 + i * 5 + j}`;
      return {
        apiVersion: j < 2 ? 'v1' : 'apps/v1',
        kind: ['ConfigMap', 'Service', 'StatefulSet', 'DaemonSet', 'Deployment'][j % 5]!,
        namespace: `team-${i % 40}`,
        name: `${name}-object-${j}`,
        action: 'unchanged' as const,
        outcome: 'unchanged' as const,
        health: 'Healthy' as const,
      };
    });
    statuses.push({
      key: `${kind}/${name}`,
      kind,
      name,
      file: `${kind.toLowerCase()}/${name}.yaml`,
      line: 1,
      result: 'Unchanged',
      message: '',
      problems: [],
      objects,
      commit: 'f'.repeat(40),
      author: 'Test Author',
      // As the engine stores it: the commit that last changed the manifest, by fingerprint (changed-in.ts).
      changedIn: {
        sha: (i % 50).toString(16).padStart(40, 'a'),
        author: `Author ${i % 12}`,
        date: '2026-11-29T10:00:00Z',
        fingerprint: createHash('sha256').update(name).digest('hex').slice(0, 16),
      },
      health: 'Healthy',
    });
  }
  return {
    commit: 'f'.repeat(40),
    manifests: statuses.sort((a, b) => a.key.localeCompare(b.key)),
    appliedVersions,
    namespaces: Array.from({ length: 40 }, (_, i) => `team-${i}`).sort(),
  };
}

describe('stored status at scale, on the real API server', function () {
  this.timeout(300_000);

  it('holds 10,000 manifests of 5 objects each, reads them back, and a restart writes nothing', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('status-scale');
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: 'status-store-test' });
    try {
      const state = bigState(10_000);
      const store = new StatusStore(kube, namespace, 'scale');
      const written = await store.save(state);
      const shards = (await kube.list(CONFIGMAP, namespace)).filter((c) =>
        c.metadata.name.startsWith(`${statusConfigMapName('scale')}-`),
      );
      assert.ok(shards.length >= 4, `${shards.length} shards`);
      assert.equal(written, shards.length + 1, 'every shard and the head');
      for (const shard of shards) {
        const bytes = Buffer.from(
          String((shard.binaryData as Record<string, string>)['shard.json.gz']),
          'base64',
        );
        assert.ok(
          bytes.length < 512 * 1024,
          `${shard.metadata.name}: ${bytes.length} bytes, under half the limit`,
        );
        assert.ok(!gunzipSync(bytes).toString('utf8').includes('"conditions"'), 'conditions are not stored');
      }

      const restarted = new StatusStore(kube, namespace, 'scale');
      const loaded = await restarted.load();
      assert.deepEqual(loaded, withDerived(state));
      assert.deepEqual(
        loaded?.manifests[0]?.conditions?.map((c) => `${c.type}=${c.status}`),
        ['Ready=True', 'Reconciling=False', 'Stalled=False'],
      );
      const mark = cp.auditEvents().length;
      assert.equal(await restarted.save(loaded!), 0, 'a restart with nothing new writes nothing');
      const writes = cp
        .auditEvents()
        .slice(mark)
        .filter(
          (e) => e.userAgent?.startsWith('status-store-test') && !['get', 'list', 'watch'].includes(e.verb),
        );
      assert.deepEqual(writes, []);

      // One manifest changes: one shard is written, not the whole state.
      const changed = structuredClone(loaded!);
      changed.manifests[1234]!.result = 'Failed';
      changed.manifests[1234]!.message = 'registry unreachable';
      assert.equal(await restarted.save(changed), 1);
      const reloaded = await new StatusStore(kube, namespace, 'scale').load();
      assert.deepEqual(reloaded, withDerived(changed));
      assert.equal(reloaded?.manifests[1234]?.conditions?.[0]?.reason, 'ApplyFailed');

      // Back to a small state: the shards shrink and the extra ConfigMaps go.
      const small = bigState(10);
      await restarted.save(small);
      assert.deepEqual(await new StatusStore(kube, namespace, 'scale').load(), withDerived(small));
      const left = (await kube.list(CONFIGMAP, namespace)).filter((c) =>
        c.metadata.name.startsWith(statusConfigMapName('scale')),
      );
      assert.equal(left.length, 2, left.map((c) => c.metadata.name).join());
    } finally {
      kube.close();
    }
  });
});

/** `image-gitops status` against the harness's namespace and instance. */
async function statusCommand(h: EngineHarness): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  const instance = process.env.IMAGE_GITOPS_INSTANCE;
  process.env.IMAGE_GITOPS_INSTANCE = h.config.settings.instance;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await main(['status', '--kubeconfig', h.cp.kubeconfigPath, '--namespace', h.namespace]);
    return { code, stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
    if (instance === undefined) delete process.env.IMAGE_GITOPS_INSTANCE;
    else process.env.IMAGE_GITOPS_INSTANCE = instance;
  }
}

describe('status through the engine', () => {
  let h: EngineHarness;
  afterEach(async () => h?.close());

  it('fails the sync loudly when the status cannot be saved', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    // An immutable status ConfigMap: the API server refuses every write of it.
    await h.cp.kubeApi.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: statusConfigMapName(h.config.settings.instance), namespace: h.namespace },
      immutable: true,
      data: { note: 'blocks the status' },
    });
    const report = await h.reconciler.sync('manual');
    assert.equal(report.result, 'Failed');
    assert.equal(report.error?.code, 'STATUS_NOT_SAVED');
    assert.match(
      report.error?.message ?? '',
      /status not saved: ConfigMap image-gitops-status-.* was refused/,
    );
    assert.equal(
      report.manifests.find((m) => m.key === 'ImagePrepull/tools')?.result,
      'Applied',
      'the apply itself went through',
    );
  });

  it('stores a YAML syntax error, counts it, and status exits non-zero', async () => {
    h = await startEngine({ 'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }) });
    await h.reconciler.sync('manual');
    assert.equal((await statusCommand(h)).code, 0);
    await h.git.commitFiles(h.repo, { 'new.yaml': 'apiVersion: [unclosed\n' }, 'a broken new file');
    const report = await h.reconciler.sync('manual');
    assert.equal(report.result, 'PartiallyFailed');
    const { code, stdout } = await statusCommand(h);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /file problems:\n {2}new\.yaml:\d+:\d+: YAML syntax/);
    assert.match(stdout, /1 manifest\(s\), 0 failing, 1 file problem\(s\)/);
  });

  it('reports the manifests of a file that no longer parses as invalid, with their objects kept', async () => {
    h = await startEngine({
      'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }),
      'c.yaml': prepullManifest('c', { busybox: 'busybox:1.36' }),
    });
    await h.reconciler.sync('manual');
    await h.git.commitFiles(h.repo, { 'c.yaml': 'apiVersion: [unclosed\n' }, 'garble c');
    const report = await h.reconciler.sync('manual');
    const c = report.manifests.find((m) => m.key === 'ImagePrepull/c');
    assert.equal(c?.result, 'Invalid', JSON.stringify(c));
    assert.equal(c?.file, 'c.yaml');
    assert.match(c?.message ?? '', /its file c\.yaml does not parse; 1 object\(s\) kept as last applied/);
    assert.equal(c?.problems[0]?.code, 'YAML_PARSE');
    assert.deepEqual(
      c?.objects.map((o) => o.outcome),
      ['kept'],
    );
    assert.doesNotMatch(JSON.stringify(report.manifests), /manifest left Git/);
    // `status` reads the stored state: the conditions are derived again from it, Stalled with what to do.
    const { stdout } = await statusCommand(h);
    assert.match(
      stdout,
      /ImagePrepull\/c \(c\.yaml\): Invalid .*\n {4}Ready=False ValidationFailed, Reconciling=False, Stalled=True ValidationFailed\n {4}stalled: a retry cannot help: fix the manifest in Git and push\n/,
    );
    // No node runs the DaemonSet's pods here: it stays Progressing, and so Ready is not known yet.
    assert.match(
      stdout,
      /ImagePrepull\/a \(a\.yaml:\d+\): Unchanged \[health Progressing\]\n {4}Ready=Unknown Progressing, Reconciling=True Progressing, Stalled=False\n/,
    );
  });

  it('ignores CI files, Helm values and kustomizations, and says so', async () => {
    h = await startEngine({
      'tools.yaml': prepullManifest('tools', { busybox: 'busybox:1.36' }),
      '.github/workflows/ci.yaml': 'on: [push]\njobs:\n  validate:\n    runs-on: ubuntu-latest\n',
      '.gitlab-ci.yml': 'validate:\n  script: [image-gitops validate .]\n',
      'helm/values.yaml': 'replicaCount: 2\n',
      'kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n',
    });
    const report = await h.reconciler.sync('manual');
    assert.equal(report.result, 'Succeeded', JSON.stringify(report.manifests));
    assert.deepEqual(
      report.ignored?.map((i) => i.file),
      ['.github/workflows/ci.yaml', '.gitlab-ci.yml', 'helm/values.yaml', 'kustomization.yaml'],
    );
    const { code, stdout } = await statusCommand(h);
    assert.equal(code, 0);
    assert.match(stdout, /- ignored kustomization\.yaml: not an image-gitops manifest/);
    assert.equal(ENGINE_USER_AGENT.length > 0, true);
  });
});
