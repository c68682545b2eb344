// What a pull budget charges a copy (jobs/copy-budget.ts copyPulls) against what skopeo really asks: the copy
// Job's own skopeo lines run against docker-registry, whose access log counts the manifest GETs at the source
// (what Docker Hub meters). One image, an index copied whole (--all) and one platform of an index.
import assert from 'node:assert/strict';
import { copyPulls } from '../../src/jobs/copy-budget.js';
import { skopeoCopyLines } from '../../src/jobs/skopeo.js';
import { pushTestImage } from '../support/oci-image.js';
import { runCommand } from '../support/processes.js';
import { MANIFEST_ACCEPT, registryRequest, startRegistry, type TestRegistry } from '../support/registry.js';
import { loggedRequests, trafficMark } from '../support/registry-traffic.js';

describe('the price of a copy is the manifest GETs skopeo makes at the source', () => {
  let source: TestRegistry;
  let destination: TestRegistry;

  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    await pushTestImage(source, 'team/one', 'v1');
    await pushTestImage(source, 'team/two', 'v1', { architectures: ['amd64', 'arm64'] });
    await pushTestImage(source, 'team/three', 'v1', { architectures: ['amd64', 'arm64', 'ppc64le'] });
  });
  after(async () => {
    await source?.stop();
    await destination?.stop();
  });

  async function measured(repository: string, platform?: string): Promise<{ gets: number; heads: number }> {
    const pair = {
      sourceRef: 'v1',
      source: { registry: source.host, repository, tag: 'v1' },
      destination: {
        registry: destination.host,
        repository: `${repository}-${platform ?? 'all'}`,
        tag: 'v1',
      },
    };
    const lines = skopeoCopyLines(pair, {
      source: { tlsVerify: false },
      destination: { tlsVerify: false },
      ...(platform ? { platform } : {}),
    });
    const mark = await trafficMark(source);
    for (const [command, ...args] of lines) await runCommand(command!, args);
    await trafficMark(source);
    const manifests = loggedRequests(source)
      .slice(mark)
      .filter((r) => r.path.includes('/manifests/'));
    return {
      gets: manifests.filter((r) => r.method === 'GET').length,
      heads: manifests.filter((r) => r.method === 'HEAD').length,
    };
  }

  const mediaType = async (repository: string) =>
    String(
      (await registryRequest(source, 'HEAD', `/v2/${repository}/manifests/v1`, { Accept: MANIFEST_ACCEPT }))
        .headers['content-type'],
    );

  it('one image: 1', async () => {
    const got = await measured('team/one');
    assert.deepEqual(got, { gets: 1, heads: 0 });
    assert.equal(copyPulls(await mediaType('team/one'), { platformsPerIndex: 2 }), got.gets);
  });

  it('an index of two platforms copied whole: the index and each platform, 3 (the default of platformsPerIndex)', async () => {
    const got = await measured('team/two');
    assert.deepEqual(got, { gets: 3, heads: 0 });
    assert.equal(copyPulls(await mediaType('team/two'), { platformsPerIndex: 2 }), got.gets);
  });

  it('an index of three platforms: 4, as platformsPerIndex: 3 says', async () => {
    const got = await measured('team/three');
    assert.equal(got.gets, 4);
    assert.equal(copyPulls(await mediaType('team/three'), { platformsPerIndex: 3 }), got.gets);
  });

  it('one platform of an index: the index and that platform, 2', async () => {
    const got = await measured('team/two', 'linux/arm64');
    assert.equal(got.gets, 2);
    assert.equal(
      copyPulls(await mediaType('team/two'), { platform: 'linux/arm64', platformsPerIndex: 2 }),
      got.gets,
    );
  });
});
