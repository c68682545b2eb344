import assert from 'node:assert/strict';
import {
  CONDITION_MANIFESTS_MAX,
  createMetrics,
  jobOutcomes,
  type Metrics,
  recordSyncReport,
} from '../../../src/server/metrics.js';
import { manifestStatus, objectStatus, syncReport } from './report-fixture.js';

/** The exposition text as a map from `name{labels}` to value, as a scraper reads it. */
async function samples(metrics: Metrics): Promise<Map<string, number>> {
  const text = await metrics.registry.metrics();
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

describe('sync metrics', () => {
  it('counts syncs by result and observes their duration and the git fetch time', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordSyncReport(
      metrics,
      syncReport({ result: 'Succeeded', durationSeconds: 2.5, gitFetchSeconds: 0.3 }),
    );
    recordSyncReport(
      metrics,
      syncReport({ result: 'NoChange', durationSeconds: 0.2, gitFetchSeconds: 0.04 }),
    );
    recordSyncReport(
      metrics,
      syncReport({
        result: 'NoChange',
        durationSeconds: 0.1,
        fetchSkipped: true,
        gitFetchSeconds: undefined,
      }),
    );
    const s = await samples(metrics);
    assert.equal(s.get('image_gitops_sync_total{result="Succeeded"}'), 1);
    assert.equal(s.get('image_gitops_sync_total{result="NoChange"}'), 2);
    assert.equal(s.get('image_gitops_sync_duration_seconds_count{result="NoChange"}'), 2);
    assert.ok(
      Math.abs((s.get('image_gitops_sync_duration_seconds_sum{result="NoChange"}') ?? 0) - 0.3) < 1e-9,
    );
    assert.equal(s.get('image_gitops_sync_duration_seconds_bucket{le="2.5",result="Succeeded"}'), 1);
    assert.equal(s.get('image_gitops_sync_duration_seconds_bucket{le="1",result="Succeeded"}'), 0);
    // the third report had no fetch (fetchSkipped), so two observations
    assert.equal(s.get('image_gitops_git_fetch_duration_seconds_count'), 2);
  });

  it('labels every series with the reconciler instance, so that two instances are told apart', async () => {
    const metrics = createMetrics({ instance: 'team-a' });
    recordSyncReport(metrics, syncReport({ result: 'Succeeded' }));
    metrics.leader.set(1);
    const s = await samples(metrics);
    assert.equal(s.get('image_gitops_leader{image_gitops_instance="team-a"}'), 1);
    assert.equal(s.get('image_gitops_sync_total{result="Succeeded",image_gitops_instance="team-a"}'), 1);
    const names = [...s.keys()].filter((k) => !k.includes('image_gitops_instance="team-a"'));
    assert.deepEqual(names, [], 'every series, process metrics included');
  });

  it('observes the time of each step of a sync by step', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordSyncReport(metrics, syncReport({ stepSeconds: { source: 0.2, render: 3, apply: 0.04 } }));
    recordSyncReport(metrics, syncReport({ stepSeconds: { source: 0.3 } }));
    const s = await samples(metrics);
    assert.equal(s.get('image_gitops_sync_step_duration_seconds_count{step="source"}'), 2);
    assert.equal(s.get('image_gitops_sync_step_duration_seconds_bucket{le="2.5",step="render"}'), 0);
    assert.equal(s.get('image_gitops_sync_step_duration_seconds_bucket{le="5",step="render"}'), 1);
    assert.equal(s.get('image_gitops_sync_step_duration_seconds_count{step="plan"}'), undefined);
  });

  it('adds applied and pruned objects by object kind', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordSyncReport(
      metrics,
      syncReport({ appliedByKind: { Job: 3, ConfigMap: 1 }, prunedByKind: { Job: 2 } }),
    );
    recordSyncReport(metrics, syncReport({ appliedByKind: { Job: 1 }, prunedByKind: { CronJob: 1 } }));
    const s = await samples(metrics);
    assert.equal(s.get('image_gitops_objects_applied_total{kind="Job"}'), 4);
    assert.equal(s.get('image_gitops_objects_applied_total{kind="ConfigMap"}'), 1);
    assert.equal(s.get('image_gitops_objects_pruned_total{kind="Job"}'), 2);
    assert.equal(s.get('image_gitops_objects_pruned_total{kind="CronJob"}'), 1);
  });

  it('shows the manifests that are invalid now, and forgets them once they are fixed', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordSyncReport(
      metrics,
      syncReport({
        result: 'PartiallyFailed',
        manifests: [
          manifestStatus({ key: 'a', result: 'Invalid' }),
          manifestStatus({ key: 'b', result: 'Invalid' }),
          manifestStatus({ key: 'c', kind: 'ImageBuild', result: 'Failed' }),
          manifestStatus({ key: 'd', result: 'Applied' }),
        ],
        fileProblems: [
          { code: 'YAML_PARSE', message: 'bad indentation', location: { file: 'x.yaml', line: 3 } },
        ],
      }),
    );
    let s = await samples(metrics);
    assert.equal(s.get('image_gitops_manifest_errors{kind="ImageSync",result="Invalid"}'), 2);
    assert.equal(s.get('image_gitops_manifest_errors{kind="ImageBuild",result="Failed"}'), 1);
    assert.equal(s.get('image_gitops_manifest_errors{kind="",result="Invalid"}'), 1);

    recordSyncReport(metrics, syncReport({ manifests: [manifestStatus({ key: 'a', result: 'Applied' })] }));
    s = await samples(metrics);
    assert.equal([...s.keys()].filter((k) => k.startsWith('image_gitops_manifest_errors')).length, 0);
  });

  it('counts manifests by condition, and names those needing attention, stalled first, bounded', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const denied = {
      code: 'REGISTRY' as const,
      message: 'HTTP 401',
      reason: 'AuthenticationFailed' as const,
      retryable: false,
    };
    const limited = {
      code: 'REGISTRY' as const,
      message: 'HTTP 429',
      reason: 'RateLimited' as const,
      retryable: true,
    };
    const failing = (key: string, problem: typeof denied | typeof limited) =>
      manifestStatus({ key, result: 'Failed', health: 'Unknown', problems: [problem] });
    const healthy = Array.from({ length: 3 }, (_, i) => manifestStatus({ key: `ImageSync/ok-${i}` }));
    // More manifests needing attention than are named: the stalled one is named whatever its key.
    const retrying = Array.from({ length: CONDITION_MANIFESTS_MAX }, (_, i) =>
      failing(`ImageSync/a-${String(i).padStart(3, '0')}`, limited),
    );
    recordSyncReport(
      metrics,
      syncReport({
        result: 'PartiallyFailed',
        manifests: [...healthy, ...retrying, failing('ImageSync/z', denied)],
      }),
    );
    const s = await samples(metrics);
    const count = (type: string, status: string, reason: string) =>
      s.get(
        `image_gitops_manifests_by_condition{kind="ImageSync",type="${type}",status="${status}",reason="${reason}"}`,
      );
    assert.equal(count('Ready', 'True', 'ReconciliationSucceeded'), 3);
    assert.equal(count('Ready', 'False', 'RateLimited'), CONDITION_MANIFESTS_MAX);
    assert.equal(count('Reconciling', 'True', 'ProgressingWithRetry'), CONDITION_MANIFESTS_MAX);
    assert.equal(count('Stalled', 'True', 'AuthenticationFailed'), 1);
    const named = (manifest: string, type: string, status: string, reason: string) =>
      s.get(
        `image_gitops_manifest_condition{kind="ImageSync",manifest="${manifest}",type="${type}",status="${status}",reason="${reason}"}`,
      );
    assert.equal(named('ImageSync/z', 'Stalled', 'True', 'AuthenticationFailed'), 1);
    assert.equal(named('ImageSync/z', 'Ready', 'False', 'AuthenticationFailed'), 1);
    assert.equal(named('ImageSync/a-000', 'Ready', 'False', 'RateLimited'), 1);
    const manifests = new Set(
      [...s.keys()]
        .filter((k) => k.startsWith('image_gitops_manifest_condition{'))
        .map((k) => /manifest="([^"]+)"/.exec(k)?.[1]),
    );
    assert.equal(manifests.size, CONDITION_MANIFESTS_MAX);
    assert.ok(!manifests.has(`ImageSync/a-${String(CONDITION_MANIFESTS_MAX - 1).padStart(3, '0')}`));
    assert.ok(![...manifests].some((m) => m?.startsWith('ImageSync/ok-')), 'a Ready manifest is not named');
  });

  it('keeps the manifest gauges and the last commit time when a sync fails as a whole', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordSyncReport(metrics, syncReport({ manifests: [manifestStatus({ result: 'Invalid' })] }));
    recordSyncReport(
      metrics,
      syncReport({
        result: 'Failed',
        error: { code: 'GIT_FETCH', message: 'connection refused' },
        commit: undefined,
        manifests: [],
      }),
    );
    const s = await samples(metrics);
    assert.equal(s.get('image_gitops_manifest_errors{kind="ImageSync",result="Invalid"}'), 1);
    assert.equal(
      s.get('image_gitops_last_synced_commit_timestamp_seconds'),
      Date.parse('2026-11-24T09:59:00.000Z') / 1000,
    );
    assert.equal(s.get('image_gitops_sync_total{result="Failed"}'), 1);
  });

  it('sets the last synced commit and last successful sync times in Unix seconds', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordSyncReport(metrics, syncReport());
    const s = await samples(metrics);
    // the fixture's commit date is 2026-11-24T09:59:00Z and its sync finished at 10:00:02.5Z
    assert.equal(
      s.get('image_gitops_last_synced_commit_timestamp_seconds'),
      Date.UTC(2026, 10, 24, 9, 59) / 1000,
    );
    assert.equal(
      s.get('image_gitops_last_successful_sync_timestamp_seconds'),
      Date.UTC(2026, 10, 24, 10, 0, 2, 500) / 1000,
    );
  });

  it('counts Job outcomes of current manifests from the health of their Jobs', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const report = syncReport({
      manifests: [
        manifestStatus({
          objects: [
            objectStatus({ name: 'j1', health: 'Healthy' }),
            objectStatus({ name: 'j2', health: 'Failed' }),
            objectStatus({ name: 'j3', health: 'Progressing' }),
            objectStatus({ name: 'gone', health: 'Healthy', action: 'delete', outcome: 'pruned' }),
            objectStatus({ kind: 'ConfigMap', apiVersion: 'v1', name: 'cm', health: 'Healthy' }),
          ],
        }),
        manifestStatus({
          key: 'ImageBuild/x',
          kind: 'ImageBuild',
          objects: [objectStatus({ name: 'b1', health: 'Healthy' })],
        }),
      ],
    });
    assert.deepEqual(jobOutcomes(report.manifests[0]!), ['complete', 'failed', 'running']);
    recordSyncReport(metrics, report);
    const s = await samples(metrics);
    assert.equal(s.get('image_gitops_job_outcomes{kind="ImageSync",outcome="complete"}'), 1);
    assert.equal(s.get('image_gitops_job_outcomes{kind="ImageSync",outcome="failed"}'), 1);
    assert.equal(s.get('image_gitops_job_outcomes{kind="ImageSync",outcome="running"}'), 1);
    assert.equal(s.get('image_gitops_job_outcomes{kind="ImageBuild",outcome="complete"}'), 1);
  });

  it('keeps two registries apart and exposes the Node process metrics when asked', async () => {
    const a = createMetrics();
    const b = createMetrics({ defaultMetrics: false });
    recordSyncReport(a, syncReport());
    const sa = await samples(a);
    const sb = await samples(b);
    assert.equal(sa.get('image_gitops_sync_total{result="Succeeded"}'), 1);
    assert.equal(sb.get('image_gitops_sync_total{result="Succeeded"}'), undefined);
    assert.ok(sa.has('process_cpu_user_seconds_total'));
    assert.ok([...sa.keys()].some((k) => k.startsWith('nodejs_heap_size_used_bytes')));
    assert.ok(!sb.has('process_cpu_user_seconds_total'));
  });
});
