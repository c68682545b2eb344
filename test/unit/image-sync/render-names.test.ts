// ImageSync's render: the names and namespace of what it renders, a timed run's record when copies wait, and
// the schedules renderTimedRun and renderCronJob refuse.
import assert from 'node:assert/strict';
import { contentHash } from '../../../src/core/hash.js';
import { decideRun } from '../../../src/kinds/image-sync/recurrence.js';
import {
  filesSecretName,
  renderCronJob,
  renderImageSync,
  renderTimedRun,
} from '../../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { context, observed, pendingTags, syncManifest } from './fixtures.js';

const CRON_SPEC: ImageSyncSpec = {
  source: { image: 'quay.io/nginx/nginx-ingress', tag: '3.7-alpine' },
  destination: { image: 'registry.example.com/nginx/nginx-ingress' },
  mode: 'Recurrent',
  schedule: '15m',
};
const TIMED_SPEC: ImageSyncSpec = { ...CRON_SPEC, schedule: '90m' };
const HASH = contentHash('ImageSync/argocd', 6);
const T0 = new Date('2026-11-29T10:00:00Z');

describe('ImageSync render: names and namespace', () => {
  it('names the files Secret after the manifest, with a hash of its key', () => {
    const manifest = syncManifest(CRON_SPEC);
    assert.equal(filesSecretName(manifest), `argocd-sync-files-${HASH}`);
    const objects = renderImageSync(manifest, context(observed([], { cas: { 'quay.io': 'PEM' } })));
    const secret = objects.find((o) => o.kind === 'Secret');
    assert.equal(secret?.metadata.name, `argocd-sync-files-${HASH}`);
  });

  it('names the CronJob after the manifest, with a hash of its key', () => {
    const objects = renderImageSync(syncManifest(CRON_SPEC), context(observed([])));
    assert.equal(objects[0]?.kind, 'CronJob');
    assert.equal(objects[0]?.metadata.name, `argocd-sync-${HASH}`);
  });

  it("renders into the manifest's namespace when it has one, else the reconciler's", () => {
    const own = { ...syncManifest(CRON_SPEC), namespace: 'team-a' };
    const files = { cas: { 'quay.io': 'PEM' } };
    const inOwn = renderImageSync(own, context(observed([], files)));
    assert.deepEqual(
      inOwn.map((o) => o.metadata.namespace),
      ['team-a', 'team-a'],
    );
    const inDefault = renderImageSync(syncManifest(CRON_SPEC), context(observed([], files)));
    assert.deepEqual(
      inDefault.map((o) => o.metadata.namespace),
      ['images', 'images'],
    );
  });
});

describe('ImageSync render: a timed run whose copies wait', () => {
  const run = decideRun(undefined, TIMED_SPEC, 5_400_000, T0);
  const recordOf = (extra: { waiting?: number; budgetDeferred?: number }) => {
    const objects = renderTimedRun(
      syncManifest(TIMED_SPEC),
      context({ ...observed(pendingTags(1)), run, ...extra }),
      'images',
    );
    const record = objects.find((o) => o.kind === 'ConfigMap');
    assert.ok(record, 'the run record is rendered');
    return (record.data as Record<string, string>).runComplete;
  };

  it('is complete when nothing waits', () => {
    assert.equal(recordOf({}), 'true');
  });

  it('is not complete while copies wait for signatures, for the pull budget, or both', () => {
    assert.equal(recordOf({ waiting: 2 }), 'false');
    assert.equal(recordOf({ budgetDeferred: 2 }), 'false');
    assert.equal(recordOf({ waiting: 1, budgetDeferred: 1 }), 'false');
  });

  it('refuses to render without a decided run', () => {
    assert.throws(
      () => renderTimedRun(syncManifest(TIMED_SPEC), context(observed(pendingTags(1))), 'images'),
      {
        message: 'ImageSync ImageSync/argocd: no run decided for a Recurrent sync timed by the reconciler',
      },
    );
  });
});

describe('ImageSync render: the CronJob of a schedule no CronJob says', () => {
  it('refuses a frequency the reconciler times, and a schedule that is none', () => {
    assert.throws(() => renderCronJob(syncManifest(TIMED_SPEC), context(observed([])), 'images'), {
      message: 'ImageSync ImageSync/argocd: "90m" is not a CronJob schedule',
    });
    const invalid = { ...CRON_SPEC, schedule: 'soon' };
    assert.throws(() => renderCronJob(syncManifest(invalid), context(observed([])), 'images'), {
      message: 'ImageSync ImageSync/argocd: "soon" is not a CronJob schedule',
    });
  });
});
