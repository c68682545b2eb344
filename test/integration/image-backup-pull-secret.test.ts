// ImageBackup's rewrite with pull credentials, through the engine on the real control plane: once the copy
// exists, the reconciler renders its pull Secret (backup host only) into the workload's namespace and the
// rewrite adds it to the Deployment's imagePullSecrets next to the owner's own entry, each owned by its field
// manager. Undo (the namespace leaving the selection, rewrite off, the manifest removed) drops only our entry,
// and the Secret is pruned.
// No credential reaches the sync report, the Events or the logs.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
import { createLogger } from '../../src/core/logger.js';
import { Reconciler } from '../../src/engine/reconciler.js';
import { pullSecretName } from '../../src/kinds/image-backup/pull-secret.js';
import { REWRITE_FIELD_MANAGER } from '../../src/kinds/image-backup/rewrite.js';
import { KubeClient } from '../../src/kube/client.js';
import { type Change, writes } from '../../src/plan/change.js';
import type { SyncReport } from '../../src/status/types.js';
import { type EngineHarness, prepullManifest, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { runJobLocally } from '../support/run-job.js';

const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
const JOB = { apiVersion: 'batch/v1', kind: 'Job' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };
const OWNER_MANAGER = 'team-deployer';

interface PodTemplate {
  containers: Array<{ name: string; image: string }>;
  imagePullSecrets?: Array<{ name: string }>;
}

const templateOf = (o: KubeObject | undefined): PodTemplate =>
  (o!.spec as { template: { spec: PodTemplate } }).template.spec;
const pullSecretNames = (o: KubeObject | undefined) =>
  (templateOf(o).imagePullSecrets ?? []).map((s) => s.name).sort();

/** The imagePullSecrets entries a field manager owns on an object, from its managedFields. */
function ownedPullSecrets(object: KubeObject | undefined, manager: string): string[] {
  const entries = (object?.metadata.managedFields ?? []) as Array<{ manager: string; fieldsV1?: unknown }>;
  const names: string[] = [];
  for (const entry of entries.filter((e) => e.manager === manager)) {
    const spec = (
      entry.fieldsV1 as Record<string, Record<string, Record<string, Record<string, unknown>>>>
    )?.['f:spec']?.['f:template']?.['f:spec'];
    const list = (spec?.['f:imagePullSecrets'] ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(list)) {
      const name = /^k:\{"name":"(.*)"\}$/.exec(key)?.[1];
      if (name) names.push(name);
    }
  }
  return names.sort();
}

describe('ImageBackup rewrite with a pull Secret, through the engine', function () {
  this.timeout(300_000);
  const push = { username: 'backup', password: 'push-password-stays-home' };
  const read = { username: 'reader', password: 'read-only-password-never-shown' };
  const other = { username: 'quay-robot', password: 'another-registry-password' };
  const secretValues = [push.password, read.password, other.password];
  let source: TestRegistry;
  let backup: TestRegistry;
  let h: EngineHarness;
  let reconciler: Reconciler;
  let owner: KubeClient;
  let apps: string;
  let elsewhere: string;
  const logLines: string[] = [];

  before(async () => {
    [source, backup] = await Promise.all([startRegistry(), startRegistry({ auth: push })]);
    await pushTestImage(source, 'team/web', '1.0');
    // A manifest that stays, so that removing the ImageBackup is an ordinary prune.
    h = await startEngine(
      { 'keep.yaml': prepullManifest('keep', { busybox: 'busybox:1.36' }) },
      { MAX_PRUNE_SHARE: '0.9' },
    );
    reconciler = new Reconciler({
      config: h.config,
      kube: h.kube,
      logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
    });
    apps = await h.cp.newNamespace('apps');
    elsewhere = await h.cp.newNamespace('elsewhere');
    const labels = { 'image-gitops.io/usable-by-manifests': 'true' };
    const auth = (c: { username: string; password: string }) =>
      Buffer.from(`${c.username}:${c.password}`).toString('base64');
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'backup-push', namespace: h.namespace, labels },
      type: 'Opaque',
      stringData: push,
    });
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'backup-pull', namespace: h.namespace, labels },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: {
        '.dockerconfigjson': JSON.stringify({
          auths: { [backup.host]: { auth: auth(read) }, 'quay.io': { auth: auth(other) } },
        }),
      },
    });
    // The workload's owner applies it with its own field manager and a pull Secret of its own.
    owner = KubeClient.fromKubeconfig(h.cp.kubeconfigPath, { fieldManager: OWNER_MANAGER });
    await owner.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: apps },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'web', image: `${source.host}/team/web:1.0` }],
            imagePullSecrets: [{ name: 'regcred' }],
          },
        },
      },
    });
  });

  after(async () => {
    owner?.close();
    await h?.close();
    await Promise.all([source, backup].filter(Boolean).map((r) => r.stop()));
  });

  const manifest = (
    rewrite: boolean,
    namespace = apps,
    pull = 'backup-pull',
  ) => `apiVersion: image-gitops.io/v1alpha1
kind: ImageBackup
metadata:
  name: backup
spec:
  backupRegistry: ${backup.host}/backup
  namespaces: [${namespace}]
  rewrite: ${rewrite}
  pullSecret: ${pull}
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${backup.host}
      tlsVerify: false
      credentialsSecret: backup-push
`;
  const KEY = () => 'ImageBackup/backup';
  const ours = () => pullSecretName(KEY());
  const web = () => h.cp.kubeApi.get(DEPLOYMENT, apps, 'web');
  const pullSecret = () => h.cp.kubeApi.get(SECRET, apps, ours());

  async function sync(): Promise<SyncReport> {
    const report = await reconciler.sync('manual');
    for (const status of report.manifests) assert.deepEqual(status.problems, [], status.key);
    assert.notEqual(report.result, 'Failed', JSON.stringify(report.error));
    assert.equal(report.pruneRefused, undefined);
    return report;
  }

  /** What a change does, as a reviewer reads it: `kind namespace/name action reason manifest`. */
  const described = (changes: Change[]) =>
    changes
      .filter(writes)
      .map(
        (c) =>
          `${c.object.kind} ${c.object.metadata.namespace ?? ''}/${c.object.metadata.name} ${c.action} ${c.reason.code} ${c.manifestKey}`,
      )
      .sort();

  /**
   * A dry-run pass, then a sync of the same commit: the two agree change by change (a dry-run that wrote,
   * a delete say, would leave the sync nothing to do), and the dry-run wrote nothing (the Deployment's
   * generation did not move). Returns the dry-run's changes and the sync's report.
   */
  async function diffThenSync(): Promise<{ changes: Change[]; report: SyncReport }> {
    const generation = (await web())?.metadata.generation;
    const dry = await reconciler.run('cli', { dryRun: true });
    assert.equal((await web())?.metadata.generation, generation, 'a dry-run writes nothing');
    const real = await reconciler.run('manual');
    for (const status of real.report.manifests) assert.deepEqual(status.problems, [], status.key);
    assert.deepEqual(described(dry.changes ?? []), described(real.changes ?? []));
    assert.ok((dry.changes ?? []).every((c) => !writes(c) || c.outcome?.result === 'planned'));
    return { changes: (dry.changes ?? []).filter(writes), report: real.report };
  }

  /** Runs the copy Jobs the engine created, as their pods would. */
  async function runCopyJobs(): Promise<void> {
    const secrets = await h.cp.kubeApi.list(SECRET, h.namespace);
    for (const job of await h.cp.kubeApi.list(JOB, h.namespace)) await runJobLocally(job, secrets);
  }

  function assertNoSecretValue(reports: SyncReport[], events: KubeObject[]): void {
    const text = [JSON.stringify(reports), JSON.stringify(events), ...logLines].join('\n');
    for (const value of secretValues)
      assert.ok(!text.includes(value), 'a credential in a report, Event or log');
    const encoded = Buffer.from(`${read.username}:${read.password}`).toString('base64');
    assert.ok(!text.includes(encoded), 'an encoded credential in a report, Event or log');
  }

  it('adds its pull Secret next to the workload’s own, and undoing removes only its entry', async () => {
    await h.git.commitFiles(h.repo, { 'backup.yaml': manifest(true) }, 'back up and rewrite');
    const reports = [await sync()];
    assert.equal(await pullSecret(), undefined, 'no pull Secret before a copy exists');
    assert.deepEqual(pullSecretNames(await web()), ['regcred']);

    await runCopyJobs();
    // diff (the same pipeline, a dry-run writer) shows the rewrite as a change, and sync then makes exactly it.
    const planned = await diffThenSync();
    reports.push(planned.report);
    const rewrite = planned.changes.find((c) => c.object.kind === 'Deployment');
    assert.equal(rewrite?.reason.code, 'PointToBackup');
    assert.equal(rewrite?.manifestKey, KEY());
    assert.equal(templateOf(rewrite?.live).containers[0]?.image, `${source.host}/team/web:1.0`, 'before');
    assert.match(templateOf(rewrite?.outcome?.applied).containers[0]?.image ?? '', /\/backup\//, 'after');
    const rewritten = await web();
    assert.equal(
      templateOf(rewritten).containers[0]?.image,
      `${backup.host}/backup/${source.host.replace(/[.:]/g, '_')}/team/web:1.0`,
    );
    assert.deepEqual(pullSecretNames(rewritten), [ours(), 'regcred'].sort());
    assert.deepEqual(ownedPullSecrets(rewritten, REWRITE_FIELD_MANAGER), [ours()]);
    assert.deepEqual(ownedPullSecrets(rewritten, OWNER_MANAGER), ['regcred']);

    const secret = await pullSecret();
    assert.equal(secret?.type, 'kubernetes.io/dockerconfigjson');
    assert.equal(secret?.metadata.labels?.['app.kubernetes.io/managed-by'], 'image-gitops');
    const config = JSON.parse(
      Buffer.from((secret!.data as Record<string, string>)['.dockerconfigjson']!, 'base64').toString(),
    ) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(Object.keys(config.auths), [backup.host], 'the backup registry host only');
    assert.equal(
      Buffer.from(config.auths[backup.host]!.auth, 'base64').toString(),
      `${read.username}:${read.password}`,
    );

    const generation = rewritten?.metadata.generation;
    reports.push(await sync());
    assert.equal(
      (await web())?.metadata.generation,
      generation,
      'steady state: the Deployment is left alone',
    );

    // Undo: the namespace leaves the selection. Its workload is found through our Secret there, and set back.
    await h.git.commitFiles(h.repo, { 'backup.yaml': manifest(true, elsewhere) }, 'another namespace');
    reports.push(await sync());
    assert.equal(templateOf(await web()).containers[0]?.image, `${source.host}/team/web:1.0`);
    assert.deepEqual(pullSecretNames(await web()), ['regcred']);
    reports.push(await sync());
    assert.equal(await pullSecret(), undefined, 'pruned once the workload let go of it');
    await h.git.commitFiles(h.repo, { 'backup.yaml': manifest(true) }, 'back in the selection');
    reports.push(await sync());
    assert.deepEqual(pullSecretNames(await web()), [ours(), 'regcred'].sort());

    // Undo: rewrite turned off. The workload lets go of the Secret first; the Secret goes the sync after.
    await h.git.commitFiles(h.repo, { 'backup.yaml': manifest(false) }, 'stop rewriting');
    reports.push(await sync());
    const restored = await web();
    assert.equal(templateOf(restored).containers[0]?.image, `${source.host}/team/web:1.0`);
    assert.deepEqual(pullSecretNames(restored), ['regcred']);
    assert.deepEqual(ownedPullSecrets(restored, OWNER_MANAGER), ['regcred']);
    assert.equal(restored?.metadata.annotations?.['image-gitops.io/backup-rewrite'], undefined);
    reports.push(await sync());
    assert.equal(await pullSecret(), undefined, 'pruned once no rewritten workload needs it');

    // Rewritten again, then the manifest removed: our entry and the Secret both go.
    await h.git.commitFiles(h.repo, { 'backup.yaml': manifest(true) }, 'rewrite again');
    reports.push(await sync());
    assert.deepEqual(pullSecretNames(await web()), [ours(), 'regcred'].sort());
    assert.ok(await pullSecret());
    await h.git.commitFiles(h.repo, { 'backup.yaml': null }, 'remove the backup');
    const undone = await diffThenSync();
    reports.push(undone.report);
    const restore = undone.changes.find((c) => c.object.kind === 'Deployment');
    assert.equal(restore?.reason.code, 'RestoreOriginal', 'the undo of a removed manifest is planned too');
    assert.equal(restore?.manifestKey, KEY());
    const removed = await web();
    assert.equal(templateOf(removed).containers[0]?.image, `${source.host}/team/web:1.0`);
    assert.deepEqual(pullSecretNames(removed), ['regcred']);
    assert.equal(await pullSecret(), undefined);

    const events = [
      ...(await h.cp.kubeApi.list(EVENT, h.namespace)),
      ...(await h.cp.kubeApi.list(EVENT, apps)),
    ];
    assertNoSecretValue(reports, events);
  });

  it('fails the manifest and rewrites nothing when pullSecret is not labelled for manifests', async () => {
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'unlabelled-pull', namespace: h.namespace },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: {
        '.dockerconfigjson': JSON.stringify({
          auths: { [backup.host]: { username: read.username, password: read.password } },
        }),
      },
    });
    const file = manifest(true, apps, 'unlabelled-pull');
    await h.git.commitFiles(h.repo, { 'backup.yaml': file }, 'an unlabelled pull Secret');
    const report = await reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === KEY());
    assert.equal(status?.result, 'Failed');
    assert.deepEqual(
      status?.problems.map((p) => [p.code, p.location?.line]),
      [['SECRET_REFUSED', file.split('\n').findIndex((l) => l.includes('pullSecret:')) + 1]],
    );
    assert.match(
      status?.problems[0]?.message ?? '',
      /unlabelled-pull is not labelled image-gitops\.io\/usable-by-manifests/,
    );
    const untouched = await web();
    assert.equal(templateOf(untouched).containers[0]?.image, `${source.host}/team/web:1.0`);
    assert.deepEqual(pullSecretNames(untouched), ['regcred']);
    assert.equal(await pullSecret(), undefined);
    assertNoSecretValue([report], []);
  });
});
