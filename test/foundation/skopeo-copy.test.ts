import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { MEDIA_TYPES, pushTestImage, skopeoRegistryFlags, writeOciLayout } from '../support/oci-image.js';
import { liveTrackedPids, runCommand } from '../support/processes.js';
import {
  fetchManifest,
  listTags,
  manifestDigest,
  startRegistry,
  type TestRegistry,
} from '../support/registry.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

describe('skopeo copy between loopback registries', function () {
  this.timeout(60_000);
  const started: TestRegistry[] = [];
  const pids: number[] = [];

  const registry = async (): Promise<TestRegistry> => {
    const r = await startRegistry();
    started.push(r);
    pids.push(r.pid);
    return r;
  };

  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
  });
  after(() => {
    assert.deepEqual(liveTrackedPids(pids), []);
  });

  it('copies a multi-arch image with --all, keeping the index digest and both platforms', async () => {
    const source = await registry();
    const destination = await registry();
    const pushed = await pushTestImage(source, 'team/app', 'v1.0.0', { architectures: ['amd64', 'arm64'] });
    assert.equal(await manifestDigest(source, 'team/app', 'v1.0.0'), pushed);

    await runCommand('skopeo', [
      'copy',
      '--all',
      ...skopeoRegistryFlags(source, 'src'),
      ...skopeoRegistryFlags(destination, 'dest'),
      `docker://${source.host}/team/app:v1.0.0`,
      `docker://${destination.host}/mirror/app:v1.0.0`,
    ]);

    assert.equal(await manifestDigest(destination, 'mirror/app', 'v1.0.0'), pushed);
    assert.deepEqual(await listTags(destination, 'mirror/app'), ['v1.0.0']);
    const index = await fetchManifest(destination, 'mirror/app', 'v1.0.0');
    assert.equal(index.mediaType, MEDIA_TYPES.index);
    const { manifests } = JSON.parse(index.body) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    assert.deepEqual(manifests.map((m) => m.platform.architecture).sort(), ['amd64', 'arm64']);
    for (const child of manifests) {
      assert.equal((await fetchManifest(destination, 'mirror/app', child.digest)).status, 200);
    }
  });

  it('gives two tags of test images different digests, and the same content the same digest', async () => {
    const target = await registry();
    const first = await pushTestImage(target, 'app', 'v1');
    const second = await pushTestImage(target, 'app', 'v2');
    const sameAsFirst = await pushTestImage(target, 'app', 'v1-again', { marker: 'v1' });
    assert.notEqual(first, second);
    assert.equal(sameAsFirst, first);
    assert.deepEqual(await listTags(target, 'app'), ['v1', 'v1-again', 'v2']);
  });

  it('writes a layer that GNU tar unpacks, with a static busybox that runs /bin/sh', async () => {
    const layout = makeTempDir('layout');
    const rootfs = makeTempDir('rootfs');
    try {
      const { digest } = writeOciLayout(layout, {
        tag: 'busybox',
        withBusybox: true,
        files: { '/etc/motd': 'hi\n', '/deep/nested/dir/file.txt': 'x' },
      });
      const manifestPath = join(layout, 'blobs', ...digest.split(':'));
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { layers: { digest: string }[] };
      const layerPath = join(layout, 'blobs', ...manifest.layers[0]!.digest.split(':'));
      await runCommand('tar', ['-xzf', layerPath, '-C', rootfs]);
      assert.equal(readFileSync(join(rootfs, 'etc/motd'), 'utf8'), 'hi\n');
      assert.equal(readFileSync(join(rootfs, 'deep/nested/dir/file.txt'), 'utf8'), 'x');
      assert.equal(readFileSync(join(rootfs, 'etc/test-image-marker'), 'utf8'), 'busybox\n');
      assert.equal(readlinkSync(join(rootfs, 'bin/sh')), 'busybox');
      const { stdout } = await runCommand(join(rootfs, 'bin/sh'), ['-c', 'echo from-busybox']);
      assert.equal(stdout.trim(), 'from-busybox');
    } finally {
      removeTempDir(layout);
      removeTempDir(rootfs);
    }
  });
});
