// ImageSync `prune` when the manifest itself leaves Git, through the whole engine: real docker-registry
// processes (deletes enabled), the Reconciler on the real API server, and its copy and delete Jobs run locally
// as their pods would (real skopeo). A removed manifest with prune has the tags it pushed deleted (not a tag
// pushed by hand, not a retained one), by a Job that still finds the Secret it mounts; then its memory and its
// objects go. One without prune deletes nothing. `diff` shows the deletions and deletes nothing.
import assert from 'node:assert/strict';
import { diffOutput } from '../../src/cli/diff.js';
import { LABELS } from '../../src/core/labels.js';
import { SYNC_DELETES_ANNOTATION } from '../../src/jobs/delete-jobs.js';
import { manifestId } from '../../src/render/stamp.js';
import { StatusStore } from '../../src/status/store.js';
import { completePendingJobs } from '../support/complete-jobs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, startRegistry, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;
const APP = 'ImageSync/app';
const PLAIN = 'ImageSync/plain';
const PASSWORD = 'push-secret-left';

describe('ImageSync prune: a manifest that leaves Git has the tags it pushed deleted, then is forgotten', () => {
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness;

  before(async () => {
    source = await startRegistry();
    destination = await startRegistry({ auth: { username: 'pusher', password: PASSWORD } });
  });
  after(async () => {
    await h?.close();
    await source?.stop();
    await destination?.stop();
  });

  const manifest = (name: string, repository: string, prune: string) => `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/${repository}
  tags:
    pattern: 1.x.x
${prune}  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
      credentialsSecret: destination-push
`;
  const withPrune = "  prune:\n    enabled: true\n    retain: '^1\\.0\\.'\n";

  const memory = async () =>
    (await new StatusStore(h.kube, h.namespace, h.config.settings.instance).load())?.memory ?? {};
  const deleteJobs = async () =>
    (await h.kube.list(JOB, h.namespace)).filter((j) => j.metadata.annotations?.[SYNC_DELETES_ANNOTATION]);
  const objectsOf = async (key: string) =>
    (await Promise.all([h.kube.list(JOB, h.namespace), h.kube.list(SECRET, h.namespace)]))
      .flat()
      .filter((o) => o.metadata.labels?.[LABELS.manifestId] === manifestId(key));
  const deletionStates = (details: Record<string, unknown> | undefined) =>
    Object.fromEntries(
      ((details?.deletions as Array<{ tag: string; state: string }>) ?? []).map((d) => [d.tag, d.state]),
    );
  const sync = (allowMassPrune = false) => h.reconciler.run('manual', { allowMassPrune });
  const statusOf = (report: { manifests: Array<{ key: string }> }, key: string) =>
    report.manifests.find((m) => m.key === key) as
      | { key: string; result: string; message: string; details?: Record<string, unknown> }
      | undefined;

  it('deletes only what it pushed, through a Job that still has its Secret, then forgets it; without prune nothing', async () => {
    for (const tag of ['1.0.0', '1.1.0', '1.2.0']) await pushTestImage(source, 'team/app', tag);
    // Pushed by hand before any copy: never this manifest's to delete.
    await pushTestImage(destination, 'mirror/app', 'by-hand', { marker: 'hand' });
    await pushTestImage(destination, 'mirror/app', '1.9.0', { marker: 'hand-1.9' });
    h = await startEngine({
      'sync/app.yaml': manifest('app', 'mirror/app', withPrune),
      'sync/plain.yaml': manifest('plain', 'mirror/plain', ''),
    });
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'destination-push',
        namespace: h.namespace,
        labels: { 'image-gitops.io/usable-by-manifests': 'true' },
      },
      stringData: { username: 'pusher', password: PASSWORD },
    });
    assert.equal((await sync()).report.result, 'Succeeded');
    assert.equal((await completePendingJobs(h.cp.kubeApi, h.namespace)).length, 2, 'a copy Job each');
    await sync(); // sees the copies completed: recorded as pushed
    assert.deepEqual(await listTags(destination, 'mirror/app'), [
      '1.0.0',
      '1.1.0',
      '1.2.0',
      '1.9.0',
      'by-hand',
    ]);
    assert.deepEqual(await listTags(destination, 'mirror/plain'), ['1.0.0', '1.1.0', '1.2.0']);
    const stored = await memory();
    assert.deepEqual((stored[APP] as { leave?: unknown }).leave, {
      name: 'app',
      file: 'sync/app.yaml',
      repository: `${destination.host}/mirror/app`,
      registry: { host: destination.host, credentialsSecret: 'destination-push', tlsVerify: false },
      retain: '^1\\.0\\.',
    });
    assert.equal(
      (stored[PLAIN] as { leave?: unknown }).leave,
      undefined,
      'no prune: nothing kept for leaving',
    );
    assert.doesNotMatch(JSON.stringify(stored), /push-secret|cHVzaC1zZWNyZXQ/, 'no credential in memory');

    // Without prune: the manifest leaves, its objects go, its pushed tags stay.
    await h.git.commitFiles(h.repo, { 'sync/plain.yaml': null });
    const plainGone = await sync(true);
    assert.match(statusOf(plainGone.report, PLAIN)?.message ?? '', /manifest left Git; objects pruned/);
    assert.deepEqual(await deleteJobs(), []);
    assert.deepEqual(await objectsOf(PLAIN), []);
    assert.equal((await memory())[PLAIN], undefined);
    assert.deepEqual(await listTags(destination, 'mirror/plain'), ['1.0.0', '1.1.0', '1.2.0']);

    // With prune: the manifest leaves. Its objects are all that is owned now: the objects' guard refuses,
    // and then nothing of the removed manifest is undone, its memory kept.
    await h.git.commitFiles(h.repo, { 'sync/app.yaml': null });
    const refused = await sync();
    assert.ok(refused.report.pruneRefused, 'the objects prune is refused');
    assert.deepEqual(await deleteJobs(), [], 'no deletion behind a refused prune');
    assert.ok((await memory())[APP], 'memory held');
    assert.equal((await objectsOf(APP)).length, 2, 'files Secret and copy Job kept');

    // `diff` (a dry run) shows the deletions and the Job, and deletes nothing.
    const preview = await h.reconciler.run('cli', { dryRun: true, allowMassPrune: true });
    const plan = preview.rendered.find((r) => r.manifest.key === APP)?.imagePlan;
    assert.deepEqual(plan?.deletions?.map((d) => `${d.image.split('/').pop()} ${d.state}`).sort(), [
      'app:1.0.0 retained',
      'app:1.1.0 delete',
      'app:1.2.0 delete',
    ]);
    const text = diffOutput({
      report: preview.report,
      changes: preview.changes ?? [],
      imagePlans: preview.rendered.flatMap((r) =>
        r.imagePlan ? [{ manifest: r.manifest.key, ...r.imagePlan }] : [],
      ),
    }).text;
    assert.match(text, new RegExp(`delete ${destination.host}/mirror/app:1\\.1\\.0@sha256:`));
    assert.match(text, /### create batch\/v1 Job \S+\/app-delete-/);
    assert.doesNotMatch(text, /push-secret|cHVzaC1zZWNyZXQ/);
    assert.deepEqual(await deleteJobs(), [], 'diff creates no Job');
    assert.equal((await listTags(destination, 'mirror/app')).length, 5, 'diff deletes nothing');

    // Allowed: the delete Job, beside the files Secret it mounts (kept though the manifest left).
    const deleting = await sync(true);
    const status = statusOf(deleting.report, APP);
    assert.deepEqual(deletionStates(status?.details), {
      '1.1.0': 'delete',
      '1.2.0': 'delete',
      '1.0.0': 'retained',
    });
    assert.match(String(status?.details?.observed), /manifest left Git; the 3 tag\(s\) it pushed/);
    const [job] = await deleteJobs();
    assert.ok(job, 'a delete Job');
    assert.doesNotMatch(JSON.stringify(job), /push-secret|cHVzaC1zZWNyZXQ/, 'no credential in the Job');
    assert.ok(
      (await objectsOf(APP)).some((o) => o.kind === 'Secret'),
      'the files Secret is kept for the Job',
    );
    assert.equal((await completePendingJobs(h.cp.kubeApi, h.namespace)).length, 1);
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['1.0.0', '1.9.0', 'by-hand']);

    // Seen deleted: done. The status says what was deleted, then the memory and the objects go.
    const done = await sync(true);
    const last = statusOf(done.report, APP);
    assert.deepEqual(deletionStates(last?.details), {
      '1.1.0': 'deleted',
      '1.2.0': 'deleted',
      '1.0.0': 'retained',
    });
    assert.match(String(last?.details?.observed), /done: forgotten/);
    assert.equal((await memory())[APP], undefined, 'memory gone');
    assert.deepEqual(await objectsOf(APP), [], 'objects pruned');
    const after = await sync(true);
    assert.equal(statusOf(after.report, APP), undefined, 'no longer reported');
    assert.deepEqual(await deleteJobs(), []);
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['1.0.0', '1.9.0', 'by-hand']);
    assert.deepEqual(await listTags(destination, 'mirror/plain'), ['1.0.0', '1.1.0', '1.2.0']);
  });
});
