import assert from 'node:assert/strict';
import {
  backupImageName,
  isInBackupRegistry,
  parseBackupRegistry,
  rewrittenImage,
} from '../../../src/kinds/image-backup/naming.js';

const BACKUP = 'registry.example.com/backup';
const DIGEST = `sha256:33cef${'0'.repeat(59)}`;

describe('ImageBackup naming (image-clone-controller scheme)', () => {
  const examples: Array<[string, string]> = [
    ['nginx', `${BACKUP}/index_docker_io/library/nginx:latest`],
    ['nginx:1.23', `${BACKUP}/index_docker_io/library/nginx:1.23`],
    [`nginx@${DIGEST}`, `${BACKUP}/index_docker_io/library/nginx:sha256_${DIGEST.slice(7)}`],
    ['grafana/grafana:main', `${BACKUP}/index_docker_io/grafana/grafana:main`],
    ['ghcr.io/timebertt/speedtest-exporter:v0.1.0', `${BACKUP}/ghcr_io/timebertt/speedtest-exporter:v0.1.0`],
    ['127.0.0.1:5000/library/app:1.0', `${BACKUP}/127_0_0_1_5000/library/app:1.0`],
  ];
  for (const [image, expected] of examples) {
    it(`names the copy of ${image} ${expected.slice(BACKUP.length)}`, () => {
      assert.equal(backupImageName(BACKUP, image), expected);
    });
  }

  it('reads docker.io, index.docker.io and a bare name as the same Docker Hub image', () => {
    const names = ['nginx:1.23', 'docker.io/nginx:1.23', 'index.docker.io/library/nginx:1.23'].map((i) =>
      backupImageName(BACKUP, i),
    );
    assert.deepEqual(new Set(names), new Set([`${BACKUP}/index_docker_io/library/nginx:1.23`]));
  });

  it('puts copies at the registry root when the backup registry has no path', () => {
    assert.equal(
      backupImageName('10.96.0.11:5001', 'grafana/grafana:main'),
      '10.96.0.11:5001/index_docker_io/grafana/grafana:main',
    );
  });

  it('takes the digest over the tag of an image written with both', () => {
    assert.equal(
      backupImageName(BACKUP, `nginx:1.23@${DIGEST}`),
      `${BACKUP}/index_docker_io/library/nginx:sha256_${DIGEST.slice(7)}`,
    );
  });

  it('keeps a digest-pinned image pinned when rewriting it to the copy', () => {
    assert.equal(
      rewrittenImage(BACKUP, `nginx@${DIGEST}`),
      `${BACKUP}/index_docker_io/library/nginx:sha256_${DIGEST.slice(7)}@${DIGEST}`,
    );
    assert.equal(rewrittenImage(BACKUP, 'nginx:1.23'), `${BACKUP}/index_docker_io/library/nginx:1.23`);
  });

  it('recognises images already in the backup registry (no backup of the backup)', () => {
    assert.equal(isInBackupRegistry(BACKUP, backupImageName(BACKUP, 'nginx')), true);
    assert.equal(isInBackupRegistry(BACKUP, 'registry.example.com/other/tool:1'), false);
    assert.equal(isInBackupRegistry('10.96.0.11:5001', '10.96.0.11:5001/anything:1'), true);
  });

  it('refuses a backup registry that is not a host with an optional path', () => {
    assert.deepEqual(parseBackupRegistry('registry.example.com/backup/'), {
      registry: 'registry.example.com',
      path: 'backup',
    });
    for (const bad of [
      'backup',
      'registry.example.com/Backup',
      'registry.example.com/backup:1',
      'http://x/y',
    ]) {
      assert.throws(() => parseBackupRegistry(bad), /backupRegistry/, bad);
    }
  });
});
