// ImageBackup's render: the files Secret's name, and that its copy Jobs mount that Secret.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { contentHash } from '../../../src/core/hash.js';
import type { ImageBackupObserved } from '../../../src/kinds/image-backup/observe.js';
import { backupCopySetup, renderImageBackup } from '../../../src/kinds/image-backup/render.js';
import type { ImageBackupSpec } from '../../../src/kinds/image-backup/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

const KEY = 'ImageBackup/image-gitops/all';
const FILES_SECRET = `all-backup-files-${contentHash(KEY, 6)}`;

const manifest: Manifest<ImageBackupSpec> = {
  key: KEY,
  kind: 'ImageBackup',
  name: 'all',
  namespace: 'image-gitops',
  spec: { backupRegistry: 'registry.example.com/backup' },
  origin: { file: 'backup.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBackup' },
};

const observed: ImageBackupObserved = {
  manifestKey: KEY,
  workloads: [],
  images: [],
  pending: [{ sourceRef: 'docker.io/library/nginx:latest', digest: `sha256:${'0'.repeat(64)}` }],
  files: { cas: { 'quay.io': 'PEM' } },
  message: '',
};

describe('ImageBackup render: the files Secret', () => {
  it('is named after the manifest, with a hash of its key', () => {
    assert.equal(backupCopySetup(manifest, observed, 'image-gitops').filesSecretName, FILES_SECRET);
  });

  it('is rendered under that name and mounted by the copy Job', () => {
    const objects = renderImageBackup(manifest, {
      namespace: 'default',
      settings: DEFAULT_SETTINGS,
      commit: { sha: 'abc', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
      live: [],
      observed,
    });
    assert.deepEqual(
      objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
      [FILES_SECRET],
    );
    const job = objects.find((o) => o.kind === 'Job');
    assert.ok(job);
    assert.ok(JSON.stringify(job.spec).includes(`"secretName":"${FILES_SECRET}"`));
  });
});
