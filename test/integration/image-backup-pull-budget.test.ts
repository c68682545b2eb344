// ImageBackup under a pull budget of its source, on the real control plane and a real docker-registry: of
// three images to back up, a budget of two pulls gives Jobs to the first two, and the status says one waits.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { clusterObserveContext } from '../../src/engine/observe-context.js';
import { imageBackupKind } from '../../src/kinds/image-backup/index.js';
import type { ImageBackupObserved } from '../../src/kinds/image-backup/observe.js';
import type { ImageBackupSpec } from '../../src/kinds/image-backup/types.js';
import type { Manifest } from '../../src/manifests/types.js';
import { PullBudgetBook } from '../../src/registry/pull-budget.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { copiesOf } from '../support/job-controller.js';
import { kindRound } from '../support/kind-round.js';
import { pushTestImage } from '../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

describe('ImageBackup under a pull budget', () => {
  let source: TestRegistry;
  let backup: TestRegistry;
  let cp: ControlPlane;
  let apps: string;

  before(async () => {
    [source, backup] = await Promise.all([startRegistry(), startRegistry()]);
    for (const tag of ['1', '2', '3']) await pushTestImage(source, 'team/app', tag);
    cp = await controlPlane();
    apps = await cp.newNamespace('apps');
    const labels = { app: 'web' };
    await cp.kubeApi.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: apps },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: ['1', '2', '3'].map((tag) => ({
              name: `c${tag}`,
              image: `${source.host}/team/app:${tag}`,
            })),
          },
        },
      },
    });
  });
  after(async () => {
    await source?.stop();
    await backup?.stop();
  });

  it('gives Jobs to the copies the budget allows and says how many wait, charging nothing before a Job exists', async () => {
    const spec: ImageBackupSpec = {
      backupRegistry: `${backup.host}/backup`,
      namespaces: [apps],
      registries: [
        { host: source.host, tlsVerify: false, budget: { pulls: 2, per: '1h' } },
        { host: backup.host, tlsVerify: false },
      ],
    };
    const manifest: Manifest<ImageBackupSpec> = {
      key: `ImageBackup/${apps}/backup`,
      kind: 'ImageBackup',
      name: 'backup',
      namespace: apps,
      spec,
      origin: { file: 'backup.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBackup' },
    };
    const book = new PullBudgetBook();
    const context = { ...clusterObserveContext(cp.kubeApi, DEFAULT_SETTINGS, apps, []), pullBudgets: book };
    const round = await kindRound(imageBackupKind, manifest, context);
    const observed = round.observed as ImageBackupObserved;
    assert.deepEqual(
      round.newJobs.flatMap(copiesOf),
      [`${source.host}/team/app:1`, `${source.host}/team/app:2`],
      'the first two images, in the order observed',
    );
    assert.equal(observed.budgetDeferred, 1);
    assert.deepEqual(
      observed.budget?.map((b) => [b.registry, b.remaining, b.deferred]),
      [[`${source.host} anonymous`, 0, 1]],
    );
    assert.match(
      observed.message,
      /3 to copy .*; 1 deferred by the pull budget of 127\.0\.0\.1:\d+ anonymous \(0 of 2 pulls per 1h left, next at /,
    );
    assert.deepEqual(book.ledger(), {}, 'reserved, not charged: no Job was created');
  });
});
