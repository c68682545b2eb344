// The test images in Docker's format (image manifest v2 schema 2 and manifest list), as Docker Hub serves
// them: pushed to a real registry, served back with Docker's media types, and copied by skopeo digest for digest.
import assert from 'node:assert/strict';
import { DOCKER_MEDIA_TYPES, MEDIA_TYPES, pushTestImage, skopeoRegistryFlags } from '../support/oci-image.js';
import { runCommand } from '../support/processes.js';
import { fetchManifest, manifestDigest, startRegistry, type TestRegistry } from '../support/registry.js';

interface ManifestBody {
  mediaType: string;
  config?: { mediaType: string };
  layers?: { mediaType: string }[];
  manifests?: { mediaType: string; digest: string; platform: { architecture: string } }[];
}

describe('Docker schema 2 test images', function () {
  this.timeout(120_000);
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => registry?.stop());

  it('pushes a single-arch image as a Docker schema 2 manifest with Docker config and layer types', async () => {
    const digest = await pushTestImage(registry, 'docker/single', '1.0', { format: 'docker' });
    const served = await fetchManifest(registry, 'docker/single', '1.0');
    assert.equal(served.status, 200);
    assert.equal(served.mediaType, DOCKER_MEDIA_TYPES.manifest);
    assert.equal(served.digest, digest);
    const body = JSON.parse(served.body) as ManifestBody;
    assert.equal(body.mediaType, DOCKER_MEDIA_TYPES.manifest);
    assert.equal(body.config?.mediaType, DOCKER_MEDIA_TYPES.config);
    assert.deepEqual(
      body.layers?.map((l) => l.mediaType),
      [DOCKER_MEDIA_TYPES.layer],
    );
    // The same content as OCI is another manifest: the format is what changes the digest.
    const oci = await pushTestImage(registry, 'oci/single', '1.0');
    assert.notEqual(oci, digest);
    assert.equal((await fetchManifest(registry, 'oci/single', '1.0')).mediaType, MEDIA_TYPES.manifest);
  });

  it('pushes a multi-arch image as a manifest list of Docker manifests, kept digest for digest by skopeo copy --all', async () => {
    const digest = await pushTestImage(registry, 'docker/multi', '2.0', {
      format: 'docker',
      architectures: ['amd64', 'arm64'],
    });
    const served = await fetchManifest(registry, 'docker/multi', '2.0');
    assert.equal(served.mediaType, DOCKER_MEDIA_TYPES.index);
    const list = JSON.parse(served.body) as ManifestBody;
    assert.deepEqual(
      list.manifests?.map((m) => [m.platform.architecture, m.mediaType]),
      [
        ['amd64', DOCKER_MEDIA_TYPES.manifest],
        ['arm64', DOCKER_MEDIA_TYPES.manifest],
      ],
    );
    await runCommand('skopeo', [
      'copy',
      '--all',
      ...skopeoRegistryFlags(registry, 'src'),
      ...skopeoRegistryFlags(registry, 'dest'),
      `docker://${registry.host}/docker/multi:2.0`,
      `docker://${registry.host}/copy/multi:2.0`,
    ]);
    assert.equal(await manifestDigest(registry, 'copy/multi', '2.0'), digest);
    const copied = await fetchManifest(registry, 'copy/multi', '2.0');
    assert.equal(copied.mediaType, DOCKER_MEDIA_TYPES.index);
    const arm = list.manifests?.find((m) => m.platform.architecture === 'arm64');
    assert.equal(
      (await fetchManifest(registry, 'copy/multi', arm!.digest)).mediaType,
      DOCKER_MEDIA_TYPES.manifest,
    );
  });
});
