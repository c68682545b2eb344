// ImageSync under a pull budget through the whole engine: manifests in Git, the Reconciler on the real API
// server, real docker-registry processes, and the copy Jobs it creates run locally exactly as their pods would.
// A budget of three pulls with five tags pending copies the three newest, says two are deferred and when,
// creates nothing more in the same window (nor after a restart), and a registry answering
// `RateLimit-Remaining: 0` stops copies though the declared budget has pulls left, as a 429 does until its
// Retry-After, even once the registry answers again.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
import { completeJobs } from '../support/complete-jobs.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { copiesOf } from '../support/job-controller.js';
import { pushTestImage } from '../support/oci-image.js';
import { listTags, startRegistry, type TestRegistry } from '../support/registry.js';
import { type RegistryProxy, startRegistryProxy } from '../support/registry-proxy.js';
import { loggedRequests, trafficMark } from '../support/registry-traffic.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const SIX_HOURS = 6 * 3600_000;

describe('ImageSync pull budget: copies newest first within a budget shared through the stored ledger', () => {
  let source: TestRegistry;
  let destination: TestRegistry;
  let limited: RegistryProxy;
  let throttled: RegistryProxy;
  let throttling = true;
  let h: EngineHarness;

  before(async () => {
    source = await startRegistry();
    destination = await startRegistry();
    for (const tag of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0'])
      await pushTestImage(source, 'team/app', tag);
    // The same registry behind a proxy that says what Docker Hub says once an account's pulls are spent.
    limited = await startRegistryProxy(source, { headers: { 'RateLimit-Remaining': '0;w=21600' } });
    // And one that answers 429 (Retry-After one hour) while `throttling`.
    throttled = await startRegistryProxy(source, {
      refuse: () => (throttling ? { status: 429, headers: { 'Retry-After': '3600' } } : undefined),
    });
  });
  after(async () => {
    await h?.close();
    await limited?.stop();
    await throttled?.stop();
    await source?.stop();
    await destination?.stop();
  });

  const manifest = (name: string, sourceHost: string, pulls: number) => `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: ${name}
spec:
  source:
    image: ${sourceHost}/team/app
  destination:
    image: ${destination.host}/${name}/app
  tags:
    pattern: 1.x.x
  registries:
    - host: ${sourceHost}
      tlsVerify: false
      budget: { pulls: ${pulls}, per: 6h }
    - host: ${destination.host}
      tlsVerify: false
`;

  const jobsOf = async (name: string) =>
    (await h.kube.list(JOB, h.namespace)).filter((j) => j.metadata.name.startsWith(`${name}-sync`));

  const runJobs = (jobs: KubeObject[]) => completeJobs(h.cp.kubeApi, jobs, h.namespace);

  async function sync(key: string, reconciler = h.reconciler) {
    const report = await reconciler.sync('manual');
    const status = report.manifests.find((m) => m.key === key);
    assert.ok(status, JSON.stringify(report.manifests));
    assert.ok(!['Failed', 'Invalid'].includes(status.result), JSON.stringify(status));
    return status;
  }

  type BudgetRow = { registry: string; remaining: number; deferred: number; nextAt?: string };
  const budgetOf = (details: Record<string, unknown> | undefined) => (details?.budget as BudgetRow[])?.[0];

  it('copies only the newest tags the budget allows, says how many wait and until when, and no more that window', async () => {
    h = await startEngine({ 'sync/app.yaml': manifest('app', source.host, 3) });

    const preview = await h.reconciler.run('cli', { dryRun: true });
    assert.ok(preview.changes?.some((c) => c.action === 'create' && c.object.kind === 'Job'));
    assert.match(
      preview.rendered.find((r) => r.manifest.key === 'ImageSync/app')?.imagePlan?.summary ?? '',
      /^3 images to copy in 1 new Job; 0 up to date; 2 deferred by a pull budget$/,
      'diff shows what the budget lets through and what waits',
    );
    assert.deepEqual(await jobsOf('app'), [], 'diff creates no Job');

    const started = Date.now();
    const first = await sync('ImageSync/app');
    const jobs = await jobsOf('app');
    assert.deepEqual(
      jobs.flatMap(copiesOf).sort(),
      ['1.2.0', '1.3.0', '1.4.0'],
      'the diff charged nothing: the three newest',
    );
    const budget = budgetOf(first.details);
    assert.equal(budget?.registry, `${source.host} anonymous`);
    assert.equal(budget?.remaining, 0);
    assert.equal(budget?.deferred, 2);
    assert.equal(first.details?.budgetDeferred, 2);
    const nextAt = Date.parse(budget?.nextAt ?? '');
    assert.ok(nextAt >= started + SIX_HOURS - 1000 && nextAt <= Date.now() + SIX_HOURS, budget?.nextAt);
    assert.match(
      String(first.details?.observed),
      new RegExp(
        `2 deferred by the pull budget of ${source.host} anonymous \\(0 of 3 pulls per 6h left, next at `,
      ),
    );

    // The Jobs make the manifest GETs they were charged: one per single-platform tag.
    const mark = await trafficMark(source);
    await runJobs(jobs);
    await trafficMark(source);
    const gets = loggedRequests(source)
      .slice(mark)
      .filter((r) => r.method === 'GET' && r.path.includes('/manifests/'));
    assert.equal(gets.length, 3, JSON.stringify(gets));
    assert.deepEqual(await listTags(destination, 'app/app'), ['1.2.0', '1.3.0', '1.4.0']);

    const again = await sync('ImageSync/app');
    assert.deepEqual(
      (await jobsOf('app')).map((j) => j.metadata.name).sort(),
      jobs.map((j) => j.metadata.name).sort(),
      'no new Job in the same window',
    );
    assert.equal(budgetOf(again.details)?.deferred, 2);
    assert.equal(budgetOf(again.details)?.nextAt, budget?.nextAt, 'the same window');

    // A restarted reconciler reads the ledger back: still nothing.
    const restarted = h.restart();
    const afterRestart = await sync('ImageSync/app', restarted);
    assert.equal(budgetOf(afterRestart.details)?.deferred, 2);
    assert.equal((await jobsOf('app')).length, jobs.length, 'no new Job after a restart');

    // Two more pulls in Git: the two deferred copies, priced as before (one image each, asked again without
    // If-None-Match, since a 304 does not say what a copy costs), fit exactly.
    await h.git.commitFiles(h.repo, { 'sync/app.yaml': manifest('app', source.host, 5) });
    const raised = await sync('ImageSync/app', restarted);
    const more = (await jobsOf('app')).filter((j) => !jobs.some((k) => k.metadata.name === j.metadata.name));
    assert.deepEqual(more.flatMap(copiesOf).sort(), ['1.0.0', '1.1.0'], JSON.stringify(raised.details));
    assert.deepEqual(
      [budgetOf(raised.details)?.deferred, budgetOf(raised.details)?.remaining],
      [0, 0],
      'nothing deferred, and the five pulls spent',
    );
    assert.doesNotMatch(String(raised.details?.observed), /deferred/);
    await runJobs(more);
    assert.deepEqual(await listTags(destination, 'app/app'), ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']);
  });

  it('stops copies when the registry says RateLimit-Remaining: 0, though the declared budget has pulls left', async () => {
    await h.git.commitFiles(h.repo, {
      'sync/app.yaml': manifest('app', source.host, 5),
      'sync/limited.yaml': manifest('limited', limited.host, 10),
    });
    const status = await sync('ImageSync/limited');
    assert.ok(
      limited.requests.some((r) => r.method === 'HEAD'),
      'the observe step asked the registry through the proxy',
    );
    assert.deepEqual(await jobsOf('limited'), [], 'no copy Job');
    const budget = budgetOf(status.details);
    assert.equal(budget?.registry, `${limited.host} anonymous`);
    assert.equal(budget?.remaining, 0);
    assert.equal(budget?.deferred, 5);
    assert.ok(Date.parse(budget?.nextAt ?? '') > Date.now() + SIX_HOURS - 60_000, budget?.nextAt);
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual(
      [ready?.status, ready?.reason, ready?.message],
      ['Unknown', 'CopiesPending', '5 image copies pending (5 deferred by a pull budget)'],
      'not Ready while copies wait for the budget',
    );
  });

  it('takes a 429 as the budget spent until its Retry-After, even once the registry answers again', async () => {
    await h.git.commitFiles(h.repo, {
      'sync/app.yaml': manifest('app', source.host, 5),
      'sync/limited.yaml': manifest('limited', limited.host, 10),
      'sync/throttled.yaml': manifest('throttled', throttled.host, 10),
    });
    const before = Math.floor(Date.now() / 1000) * 1000;
    const refused = await h.reconciler.sync('manual');
    const after = Date.now();
    const failed = refused.manifests.find((m) => m.key === 'ImageSync/throttled');
    assert.equal(failed?.result, 'Failed', 'the 429 fails this sync of the manifest');
    assert.match(failed?.problems[0]?.message ?? '', /HTTP 429/);

    throttling = false;
    const asked = throttled.requests.length;
    const status = await sync('ImageSync/throttled');
    assert.ok(throttled.requests.length > asked, 'the registry answered this time');
    assert.deepEqual(await jobsOf('throttled'), [], 'no copy Job');
    const budget = budgetOf(status.details);
    assert.deepEqual([budget?.remaining, budget?.deferred], [0, 5]);
    const nextAt = Date.parse(budget?.nextAt ?? '');
    assert.ok(
      nextAt >= before + 3600_000 && nextAt <= after + 3600_000,
      `next at ${budget?.nextAt}: an hour (the 429's Retry-After) after the sync that met it`,
    );
  });

  it('is one budget for every manifest that declares it: two manifests on 4 pulls get 4 copies between them', async () => {
    await h?.close(); // the tests above share one engine; this one starts its own
    // Two manifests of one source host and one (anonymous) credential: one ledger, in one sync and after it.
    h = await startEngine({
      'sync/one.yaml': manifest('one', source.host, 4),
      'sync/two.yaml': manifest('two', source.host, 4),
    });
    const first = await h.reconciler.sync('manual');
    const copies = [...(await jobsOf('one')), ...(await jobsOf('two'))].flatMap(copiesOf);
    assert.equal(copies.length, 4, `four copies between them, not four each: ${JSON.stringify(copies)}`);
    const deferred = first.manifests.reduce((n, m) => n + (budgetOf(m.details)?.deferred ?? 0), 0);
    assert.equal(deferred, 10 - 4, 'the other six wait');
    const again = await h.reconciler.sync('manual');
    assert.equal(
      [...(await jobsOf('one')), ...(await jobsOf('two'))].flatMap(copiesOf).length,
      4,
      'and no more in the window',
    );
    assert.ok(again.manifests.every((m) => budgetOf(m.details)?.remaining === 0));
  });
});
