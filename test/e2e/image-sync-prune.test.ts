// ImageSync `prune` through the whole engine: a manifest in Git, the Reconciler on the real API server, real
// docker-registry processes (deletes enabled), and the copy and delete Jobs it creates run locally exactly as
// their pods would. The destination ends up with what Git says: the pushed tags that left the selection go,
// the retained one, a tag sharing a digest with a tag that stays, and a tag someone else pushed stay.
import assert from 'node:assert/strict';
import { SYNC_DELETES_ANNOTATION } from '../../src/jobs/delete-jobs.js';
import { completePendingJobs } from '../support/complete-jobs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, manifestDigest, startRegistry, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const KEY = 'ImageSync/app';

describe('ImageSync prune: pushed tags that leave the selection are deleted from the destination', () => {
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness;

  before(async () => {
    source = await startRegistry();
    destination = await startRegistry({ auth: { username: 'pusher', password: 'push-secret' } });
  });
  after(async () => {
    await h?.close();
    await source?.stop();
    await destination?.stop();
  });

  const manifest = (tags: string) => `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: app
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/mirror/app
  tags:
${tags}
  prune:
    enabled: true
    retain: '^1\\.0\\.'
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
      credentialsSecret: destination-push
`;

  const runPendingJobs = () => completePendingJobs(h.cp.kubeApi, h.namespace);

  const deleteJobs = async () =>
    (await h.kube.list(JOB, h.namespace)).filter((j) => j.metadata.annotations?.[SYNC_DELETES_ANNOTATION]);

  async function sync() {
    const report = await h.reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === KEY);
    assert.ok(status, JSON.stringify(report.manifests));
    return { report, status };
  }

  const deletionStates = (details: Record<string, unknown> | undefined) =>
    Object.fromEntries(
      ((details?.deletions as Array<{ tag: string; state: string }>) ?? []).map((d) => [d.tag, d.state]),
    );

  it('copies, then on a narrower selection deletes exactly the pushed tags that left it, behind the guard', async () => {
    for (const tag of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) await pushTestImage(source, 'team/app', tag);
    // At the destination before any copy: a tag of someone else's holding 1.1.0's image.
    await pushTestImage(destination, 'mirror/app', 'other', { marker: '1.1.0' });
    h = await startEngine({ 'sync/app.yaml': manifest('    pattern: 1.x.x') });
    await h.cp.kubeApi.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'destination-push',
        namespace: h.namespace,
        labels: { 'image-gitops.io/usable-by-manifests': 'true' },
      },
      stringData: { username: 'pusher', password: 'push-secret' },
    });
    assert.equal((await sync()).report.result, 'Succeeded');
    assert.equal((await runPendingJobs()).length, 1, 'one copy Job for the four tags');
    assert.deepEqual(await listTags(destination, 'mirror/app'), [
      '1.0.0',
      '1.1.0',
      '1.2.0',
      '1.3.0',
      'other',
    ]);
    assert.equal(
      await manifestDigest(destination, 'mirror/app', 'other'),
      await manifestDigest(destination, 'mirror/app', '1.1.0'),
    );
    await sync(); // sees the copies completed: the four tags are recorded as pushed

    // Only 9.x.x: the three pushed tags not retained would go, 75% of the four pushed: refused as a whole.
    await h.git.commitFiles(h.repo, { 'sync/app.yaml': manifest('    pattern: 9.x.x') });
    const refused = await sync();
    assert.deepEqual(deletionStates(refused.status.details), {
      '1.0.0': 'retained',
      '1.1.0': 'refused',
      '1.2.0': 'refused',
      '1.3.0': 'refused',
    });
    assert.match(String(refused.status.details?.observed), /3 REFUSED \(prune refused: 3 of the 4 tags/);
    assert.deepEqual(await deleteJobs(), [], 'no delete Job when refused');

    // Only 1.3.0: 1.1.0 and 1.2.0 left (50% of what it pushed: at the bound, allowed).
    await h.git.commitFiles(h.repo, { 'sync/app.yaml': manifest("    include: ['^1\\.3\\.']") });
    const preview = await h.reconciler.run('cli', { dryRun: true });
    const plan = preview.rendered.find((r) => r.manifest.key === KEY)?.imagePlan;
    assert.deepEqual(
      plan?.deletions?.map((d) => [d.image.split('/').pop(), d.state]),
      [
        ['app:1.2.0', 'delete'],
        ['app:1.0.0', 'retained'],
        ['app:1.1.0', 'kept'],
      ],
      'diff shows what would be deleted, and why the others are not',
    );
    assert.ok(
      preview.changes?.some(
        (c) => c.action === 'create' && c.object.metadata.annotations?.[SYNC_DELETES_ANNOTATION],
      ),
      'diff shows the delete Job it would create',
    );
    assert.deepEqual(await deleteJobs(), [], 'diff deletes nothing');

    const narrowed = await sync();
    assert.deepEqual(deletionStates(narrowed.status.details), {
      '1.2.0': 'delete',
      '1.0.0': 'retained',
      '1.1.0': 'kept',
    });
    const [job] = await deleteJobs();
    assert.ok(job);
    assert.doesNotMatch(JSON.stringify(job), /push-secret|cHVzaGVy/, 'no credential in the Job');
    assert.deepEqual(
      JSON.parse(job.metadata.annotations?.[SYNC_DELETES_ANNOTATION] ?? '[]').map(
        (d: { tag: string }) => d.tag,
      ),
      ['1.2.0'],
    );
    assert.equal((await runPendingJobs()).length, 1);
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['1.0.0', '1.1.0', '1.3.0', 'other']);

    // The next sync sees it gone: the status says it was deleted, and the record forgets it.
    const after = await sync();
    assert.deepEqual(deletionStates(after.status.details), { '1.0.0': 'retained', '1.2.0': 'deleted' });
    assert.deepEqual(await runPendingJobs(), [], 'nothing more to delete or copy');
    const settled = await sync();
    assert.deepEqual(deletionStates(settled.status.details), { '1.0.0': 'retained' });
    assert.deepEqual(await runPendingJobs(), []);
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['1.0.0', '1.1.0', '1.3.0', 'other']);
  });
});
