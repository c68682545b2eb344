// The pull-budget gauges, from the manifests' status details (`budget`): the least left of each budget
// (later manifests see what earlier ones planned), and the copies deferred, all manifests together.
import assert from 'node:assert/strict';
import { createMetrics, recordLeadership, recordSyncReport } from '../../../src/server/metrics.js';
import { manifestStatus, syncReport } from './report-fixture.js';

describe('pull budget metrics', () => {
  it('gives each budget the copies met its least pulls left and its deferred copies, cleared when it is not met', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const hub = 'docker.io as robot';
    const budget = (remaining: number, deferred: number) => ({
      budget: [{ registry: hub, pulls: 180, per: '6h', remaining, deferred }],
      ...(deferred ? { budgetDeferred: deferred } : {}),
    });
    recordSyncReport(
      metrics,
      syncReport({
        result: 'Succeeded',
        manifests: [
          manifestStatus({ key: 'ImageSync/a', kind: 'ImageSync', details: budget(4, 0) }),
          manifestStatus({ key: 'ImageBackup/b', kind: 'ImageBackup', details: budget(0, 7) }),
        ],
      }),
    );
    const text = await metrics.registry.metrics();
    assert.match(text, /image_gitops_registry_budget_remaining\{registry="docker\.io as robot"\} 0\n/);
    assert.match(text, /image_gitops_registry_budget_deferred\{registry="docker\.io as robot"\} 7\n/);
    assert.match(
      text,
      /image_gitops_copies_pending\{kind="ImageBackup",manifest="ImageBackup\/b"\} 7\n/,
      'copies a budget defers are pending too',
    );

    recordSyncReport(
      metrics,
      syncReport({ result: 'NoChange', manifests: [manifestStatus({ key: 'ImageSync/a' })] }),
    );
    assert.doesNotMatch(await metrics.registry.metrics(), /budget_remaining\{/);

    recordSyncReport(
      metrics,
      syncReport({
        result: 'Succeeded',
        manifests: [manifestStatus({ key: 'ImageSync/a', details: budget(3, 1) })],
      }),
    );
    recordLeadership(metrics, false);
    assert.doesNotMatch(
      await metrics.registry.metrics(),
      /budget_(remaining|deferred)\{/,
      'a follower shows none',
    );
  });
});
