import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { jobCommand } from '../../../src/jobs/job-template.js';
import { imageBackupKind } from '../../../src/kinds/image-backup/index.js';
import type { ImageBackupObserved } from '../../../src/kinds/image-backup/observe.js';
import { renderImageBackup } from '../../../src/kinds/image-backup/render.js';
import type { ImageBackupSpec } from '../../../src/kinds/image-backup/types.js';
import { findKind } from '../../../src/kinds/registry.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { buildAuthFile } from '../../../src/registry/credentials.js';

const BACKUP = 'registry.example.com/backup';

function manifest(spec: Partial<ImageBackupSpec> = {}): Manifest<ImageBackupSpec> {
  return {
    key: 'ImageBackup/image-gitops/all',
    kind: 'ImageBackup',
    name: 'all',
    namespace: 'image-gitops',
    spec: { backupRegistry: BACKUP, ...spec },
    origin: { file: 'backup.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageBackup' },
  };
}

function observed(refs: string[], files: ImageBackupObserved['files'] = { cas: {} }): ImageBackupObserved {
  const pending = refs.map((sourceRef, i) => ({
    sourceRef,
    digest: `sha256:${String(i).padStart(64, '0')}`,
  }));
  return {
    manifestKey: 'ImageBackup/image-gitops/all',
    workloads: [],
    images: [],
    pending,
    files,
    message: '',
  };
}

function render(obs: ImageBackupObserved, bounds = { maxJobsPerManifest: 5, tagsPerJob: 10 }) {
  return renderImageBackup(manifest(), {
    namespace: 'default',
    settings: { ...DEFAULT_SETTINGS, imageSync: { ...DEFAULT_SETTINGS.imageSync, ...bounds } },
    commit: { sha: 'abc', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
    live: [],
    observed: obs,
  });
}

describe('ImageBackup render', () => {
  it('renders no object when every image is backed up', () => {
    assert.deepEqual(render(observed([])), []);
  });

  it('copies each pending image with skopeo --all to its backup name, in the manifest namespace', () => {
    const [job] = render(observed(['docker.io/library/nginx:latest', 'ghcr.io/acme/app:v1']));
    assert.equal(job?.kind, 'Job');
    assert.equal(job?.metadata.namespace, 'image-gitops');
    assert.match(job!.metadata.name, /^all-backup-/);
    const lines = (jobCommand(job!)?.[2] ?? '').trim().split('\n');
    assert.deepEqual(lines, [
      `skopeo copy --all --retry-times 3 docker://docker.io/library/nginx:latest docker://${BACKUP}/index_docker_io/library/nginx:latest`,
      `skopeo copy --all --retry-times 3 docker://ghcr.io/acme/app:v1 docker://${BACKUP}/ghcr_io/acme/app:v1`,
    ]);
  });

  it('keeps to the Job bounds (image-cloner-controller MAX_CONCURRENT_RECONCILES)', () => {
    const refs = Array.from({ length: 30 }, (_, i) => `ghcr.io/acme/app:v${i}`);
    const jobs = render(observed(refs), { maxJobsPerManifest: 2, tagsPerJob: 4 });
    assert.equal(jobs.length, 2);
    for (const job of jobs) assert.equal((jobCommand(job)?.[2] ?? '').trim().split('\n').length, 4);
  });

  it('mounts the merged authfile from a files Secret, never putting the password in the Job', () => {
    const authFile = buildAuthFile(
      new Map([['registry.example.com', { username: 'u', password: 's3cret' }]]),
    );
    const objects = render(observed(['docker.io/library/nginx:latest'], { authFile, cas: {} }));
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['Secret', 'Job'],
    );
    assert.ok(!JSON.stringify(objects[1]).includes('s3cret'));
    assert.match(jobCommand(objects[1]!)?.[2] ?? '', /--authfile \/etc\/image-gitops\/auth\/auth\.json/);
  });
});

describe('ImageBackup schema and samples', () => {
  const schema = JSON.parse(readFileSync(join('schemas', imageBackupKind.schemaFile), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

  it('is registered as image-gitops.io/v1alpha1 ImageBackup', () => {
    assert.equal(findKind('image-gitops.io/v1alpha1', 'ImageBackup')?.definition, imageBackupKind);
  });

  for (const file of readdirSync('sample-repo/image-backup').filter((f) => f.endsWith('.yaml'))) {
    it(`${file} is valid and passes the kind's checks`, () => {
      const doc = parse(readFileSync(join('sample-repo/image-backup', file), 'utf8')) as {
        spec: ImageBackupSpec;
      };
      assert.ok(validate(doc), JSON.stringify(validate.errors));
      assert.deepEqual(imageBackupKind.check?.(doc.spec), []);
    });
  }

  it('refuses a manifest without backupRegistry, and a namespace both selected and ignored', () => {
    const doc = {
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImageBackup',
      metadata: { name: 'x' },
      spec: {},
    };
    assert.equal(validate(doc), false);
    assert.deepEqual(
      imageBackupKind
        .check?.({ backupRegistry: BACKUP, namespaces: ['a'], ignoreNamespaces: ['a'] })
        .map((p) => p.field),
      ['/spec/ignoreNamespaces'],
    );
  });
});
