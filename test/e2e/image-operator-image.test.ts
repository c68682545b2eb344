// An image-operator `Image` file as it is, through the whole engine with skopeo and real registries:
// `Recurrent` with a `1.x` pattern every 90m, its release candidates, and image-operator's global settings
// (CREDS_DESTINATION_*, DISABLE_*_TLS_VERIFICATION) read from the environment as image-operator reads them.
import assert from 'node:assert/strict';
import { completePendingJobs } from '../support/complete-jobs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, startRegistry, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

describe("image-operator's Image through the engine", () => {
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

  const runPendingJobs = async () => (await completePendingJobs(h.cp.kubeApi, h.namespace)).length;

  const record = async () =>
    (await h.kube.list(CONFIG_MAP, h.namespace)).find((c) => c.metadata.name.startsWith('app-sync-record'));

  it('copies the 1.x tags (v-prefixed and -rc<digit> too) every 90m, with the credentials of the environment', async () => {
    for (const tag of ['v1.0', '1.1', '1.1-rc1', '1.1-rc12', '1.1.1', '2.0'])
      await pushTestImage(source, 'team/app', tag);
    const image = `apiVersion: skopeo.io/v1alpha1
kind: Image
metadata:
  name: app
spec:
  mode: Recurrent
  frequency: 90m
  allowCandidateRelease: true
  source:
    name: ${source.host}/team/app
    version: 1.x
  destination:
    name: ${destination.host}/mirror/app
    version: 1.x
`;
    h = await startEngine(
      { 'images/app.yaml': image },
      {
        CREDS_DESTINATION_USERNAME: 'pusher',
        CREDS_DESTINATION_PASSWORD: 'push-secret',
        DISABLE_SRC_TLS_VERIFICATION: 'true',
        DISABLE_DEST_TLS_VERIFICATION: 'true',
      },
    );

    const first = await h.reconciler.sync('manual');
    assert.equal(first.result, 'Succeeded', JSON.stringify(first.manifests));
    const jobs = await h.kube.list(JOB, h.namespace);
    assert.equal(jobs.length, 1);
    assert.doesNotMatch(JSON.stringify(jobs), /push-secret/, 'the password is in the mounted authfile only');
    assert.equal((await h.kube.list({ apiVersion: 'batch/v1', kind: 'CronJob' }, h.namespace)).length, 0);
    assert.ok(await record(), 'the run record is stored');
    assert.equal(await runPendingJobs(), 1);
    assert.deepEqual((await listTags(destination, 'mirror/app')).sort(), ['1.1', '1.1-rc1', 'v1.0']);

    // Within the 90 minutes: no Job, the record untouched, even for a tag pushed meanwhile.
    const stored = (await record())!.metadata.resourceVersion;
    await pushTestImage(source, 'team/app', '1.2');
    const quiet = await h.reconciler.sync('schedule');
    const status = quiet.manifests.find((m) => m.key.endsWith('/app'))!;
    assert.match(String(status.details?.observed), /next run due at .* \(every 1h30m/);
    assert.equal((await h.kube.list(JOB, h.namespace)).length, 1);
    assert.equal((await record())!.metadata.resourceVersion, stored);

    // 91 minutes later (the record's last run moved back, as time would): a run, for the new tag only.
    const old = (await record())!;
    const lastRun = new Date(Date.now() - 91 * 60_000).toISOString();
    await h.cp.kubeApi.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: old.metadata.name, namespace: h.namespace },
        data: { ...(old.data as Record<string, string>), lastRun },
      },
      { fieldManager: 'clock' },
    );
    const due = await h.reconciler.sync('schedule');
    assert.equal(due.result, 'Succeeded', JSON.stringify(due.manifests));
    assert.equal(await runPendingJobs(), 1);
    assert.deepEqual((await listTags(destination, 'mirror/app')).sort(), ['1.1', '1.1-rc1', '1.2', 'v1.0']);
    const after = (await record())?.data as Record<string, string>;
    assert.ok(Date.parse(after.lastRun ?? '') > Date.parse(lastRun));
  });
});
