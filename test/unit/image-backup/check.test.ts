// ImageBackup's checks beyond the schema: each refusal at its field path with its message, and the specs
// next to it that pass.
import assert from 'node:assert/strict';
import { checkImageBackup } from '../../../src/kinds/image-backup/check.js';
import type { ImageBackupSpec } from '../../../src/kinds/image-backup/types.js';

const base: ImageBackupSpec = { backupRegistry: 'backup.example.com/copies' };

function check(spec: Partial<ImageBackupSpec>): ReturnType<typeof checkImageBackup> {
  return checkImageBackup({ ...base, ...spec });
}

const PULL_SECRET_MESSAGE =
  'backup-creds is also the push credentialsSecret of https://Backup.Example.com: pullSecret is copied into every namespace with rewritten workloads, so give it a read-only account in a Secret of its own';

describe('ImageBackup checks', () => {
  it('passes a registry host with a path', () => {
    assert.deepEqual(check({}), []);
  });

  it('reports a backupRegistry that is no registry host at /spec/backupRegistry', () => {
    assert.deepEqual(check({ backupRegistry: 'backups' }), [
      {
        field: '/spec/backupRegistry',
        message:
          'backupRegistry "backups" must be a registry host with an optional path, e.g. registry.example.com/backup',
      },
    ]);
  });

  it('refuses namespaces both selected and ignored, naming only those', () => {
    assert.deepEqual(
      check({ namespaces: ['apps', 'web', 'tools'], ignoreNamespaces: ['tools', 'apps', 'old'] }),
      [
        {
          field: '/spec/ignoreNamespaces',
          message: 'apps, tools both selected and ignored: remove it from one of the lists',
        },
      ],
    );
    assert.deepEqual(check({ namespaces: ['apps'], ignoreNamespaces: ['old'] }), []);
    assert.deepEqual(check({ ignoreNamespaces: ['old'] }), []);
  });

  it('refuses a pullSecret that is the push credentials of the backup registry (host written any way)', () => {
    const registries = [{ host: 'https://Backup.Example.com', credentialsSecret: 'backup-creds' }];
    assert.deepEqual(check({ registries, pullSecret: 'backup-creds' }), [
      { field: '/spec/pullSecret', message: PULL_SECRET_MESSAGE },
    ]);
    assert.deepEqual(check({ registries, pullSecret: 'backup-pull' }), []);
  });

  it("accepts a pullSecret that is another registry's credentials, or with no registries listed", () => {
    const registries = [{ host: 'source.example.com', credentialsSecret: 'backup-creds' }];
    assert.deepEqual(check({ registries, pullSecret: 'backup-creds' }), []);
    assert.deepEqual(check({ pullSecret: 'backup-creds' }), []);
  });

  it('compares no registry with a backupRegistry it cannot read', () => {
    const registries = [{ host: 'source.example.com', credentialsSecret: 'backup-creds' }];
    assert.deepEqual(
      check({ backupRegistry: 'backups', registries, pullSecret: 'backup-creds' }).map((p) => p.field),
      ['/spec/backupRegistry'],
    );
  });
});
