// The gauges the alert rules and the dashboard read (deploy/prometheus, deploy/grafana).
import assert from 'node:assert/strict';
import {
  createMetrics,
  type Metrics,
  recordLeadership,
  recordSyncReport,
} from '../../../src/server/metrics.js';
import { manifestStatus, syncReport } from './report-fixture.js';

async function samples(metrics: Metrics): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

describe('metrics for alerts', () => {
  it('marks the last sync result one-hot and counts pending copies by manifest', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const pending = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ sourceRef: `v${i}`, digest: 'sha256:0' }));
    recordSyncReport(
      metrics,
      syncReport({
        result: 'PartiallyFailed',
        manifests: [
          manifestStatus({
            key: 'ImageSync/a',
            kind: 'ImageSync',
            details: { pending: pending(25), pendingMore: 5 },
          }),
          manifestStatus({ key: 'ImageSync/b', kind: 'ImageSync', details: { pending: [] } }),
        ],
      }),
    );
    let s = await samples(metrics);
    assert.equal(s.get('image_gitops_last_sync_result{result="PartiallyFailed"}'), 1);
    assert.equal(s.get('image_gitops_last_sync_result{result="Succeeded"}'), 0);
    assert.equal(s.get('image_gitops_copies_pending{kind="ImageSync",manifest="ImageSync/a"}'), 30);
    assert.equal(s.has('image_gitops_copies_pending{kind="ImageSync",manifest="ImageSync/b"}'), false);

    // A sync that failed as a whole changes the result, not what is known of the manifests.
    recordSyncReport(metrics, syncReport({ result: 'Failed', manifests: [] }));
    s = await samples(metrics);
    assert.equal(s.get('image_gitops_last_sync_result{result="Failed"}'), 1);
    assert.equal(s.get('image_gitops_last_sync_result{result="PartiallyFailed"}'), 0);
    assert.equal(s.get('image_gitops_copies_pending{kind="ImageSync",manifest="ImageSync/a"}'), 30);
  });

  it('clears the state gauges of a replica that stops leading', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    recordLeadership(metrics, true);
    recordSyncReport(
      metrics,
      syncReport({
        result: 'PartiallyFailed',
        finishedAt: '2026-11-29T10:00:00Z',
        manifests: [manifestStatus({ kind: 'ImagePrepull', result: 'Invalid' })],
      }),
    );
    let s = await samples(metrics);
    assert.equal(s.get('image_gitops_manifest_errors{kind="ImagePrepull",result="Invalid"}'), 1);
    assert.equal([...s.keys()].filter((k) => k.startsWith('image_gitops_manifest_condition{')).length, 2);
    assert.ok((s.get('image_gitops_last_successful_sync_timestamp_seconds') ?? 0) > 0);
    recordLeadership(metrics, false);
    s = await samples(metrics);
    assert.equal(s.get('image_gitops_leader'), 0);
    assert.equal(s.has('image_gitops_manifest_errors{kind="ImagePrepull",result="Invalid"}'), false);
    assert.equal(s.has('image_gitops_last_sync_result{result="PartiallyFailed"}'), false);
    assert.deepEqual(
      [...s.keys()].filter((k) => /^image_gitops_manifests?_(by_)?condition/.test(k)),
      [],
      'no condition of a former leader',
    );
    assert.equal(s.get('image_gitops_last_successful_sync_timestamp_seconds'), 0);
  });
});
