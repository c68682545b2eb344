// ImageSync's tag discovery on a real docker-registry repository of 10,000 tags (issue 15, item 4): the list
// is read whole when it fits the bounds, cut at `tags.maxTags` or at the sync's page budget with `truncated`
// in the manifest's status details, and paged by `Link` (through a proxy paging as distribution v3 does,
// since docker-registry 2.8 answers every tag at once). Requests are counted at the registry and the proxy.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { clusterObserveContext } from '../../src/engine/observe-context.js';
import { type ImageSyncObserved, observeImageSync } from '../../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../../src/kinds/image-sync/spec.js';
import type { Manifest } from '../../src/manifests/types.js';
import { DEFAULT_REGISTRY_LIMITS, registryPolicy } from '../../src/registry/limits.js';
import { imageDetails } from '../../src/status/details.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { pushTestImage } from '../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { type RegistryProxy, startRegistryProxy } from '../support/registry-proxy.js';
import { addTags, describeRequest, trafficMark, trafficSince } from '../support/registry-traffic.js';

const COUNT = 10_000;
/** v1.0.0 ... v1.99.99: 10,000 version tags, the newest v1.99.99. */
const TAGS = Array.from({ length: COUNT }, (_, i) => `v1.${Math.floor(i / 100)}.${i % 100}`);

describe('ImageSync tag discovery on a repository of 10,000 tags', function () {
  this.timeout(600_000);
  let registry: TestRegistry;
  let destination: TestRegistry;
  let proxy: RegistryProxy;
  let cp: ControlPlane;
  let namespace: string;

  function manifest(host: string, tags: ImageSyncSpec['tags']): Manifest<ImageSyncSpec> {
    return {
      key: 'ImageSync/discovery',
      kind: 'ImageSync',
      name: 'discovery',
      namespace,
      spec: {
        source: { image: `${host}/big/app` },
        destination: { image: `${destination.host}/big/app` },
        tags,
        registries: [
          { host, tlsVerify: false },
          { host: destination.host, tlsVerify: false },
        ],
      },
      origin: { file: 'discovery.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
    };
  }

  async function observe(
    m: Manifest<ImageSyncSpec>,
    limits: Partial<typeof DEFAULT_REGISTRY_LIMITS> = {},
  ): Promise<{ observed: ImageSyncObserved; asked: string[] }> {
    const mark = await trafficMark(registry);
    const context = clusterObserveContext(cp.kubeApi, DEFAULT_SETTINGS, namespace, []);
    const observed = await observeImageSync(m, {
      ...context,
      registry: registryPolicy({ ...DEFAULT_REGISTRY_LIMITS, ...limits }),
    });
    return { observed, asked: (await trafficSince(registry, mark)).map(describeRequest) };
  }

  before(async () => {
    [registry, destination] = await Promise.all([startRegistry(), startRegistry()]);
    await pushTestImage(registry, 'big/app', TAGS[0]!);
    await addTags(registry, 'big/app', TAGS[0]!, TAGS.slice(1), { concurrency: 16 });
    proxy = await startRegistryProxy(registry, { tagPageSize: 100 });
    cp = await controlPlane();
    namespace = await cp.newNamespace('discovery');
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([registry, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('reads the 10,000 tags in one request and selects the newest from all of them', async () => {
    const { observed, asked } = await observe(manifest(registry.host, { pattern: 'v1.x.x', newest: 3 }));
    assert.deepEqual(
      observed.pending.map((p) => p.sourceRef),
      ['v1.99.99', 'v1.99.98', 'v1.99.97'],
    );
    assert.equal(observed.truncated, undefined);
    assert.equal(asked.filter((a) => a.startsWith('GET tags')).length, 1);
    // One referrers probe (docker-registry 2.8 has no such API: a 404, not asked again for the others).
    const referrers = asked.filter((a) => /^GET \/v2\/big\/app\/referrers\/sha256:[a-f0-9]{64} 404$/.test(a));
    assert.equal(referrers.length, 1, asked.join('\n'));
    assert.equal(asked.length, 1 + 3 + 1, 'the list, one HEAD per selected tag, the referrers probe');
  });

  it('stops at tags.maxTags and reports the list as truncated in the status details', async () => {
    const { observed, asked } = await observe(manifest(registry.host, { pattern: 'v1.x.x', maxTags: 1000 }));
    assert.deepEqual(observed.truncated, {
      repository: `${registry.host}/big/app`,
      reason: 'maxTags',
      pages: 1,
      tags: 1000,
    });
    assert.equal(observed.matched, 1000);
    assert.equal(asked.filter((a) => a.startsWith('GET tags')).length, 1);
    const details = imageDetails(observed)!;
    assert.deepEqual(details.truncated, {
      repository: `${registry.host}/big/app`,
      reason: 'maxTags',
      tags: 1000,
      pages: 1,
    });
    assert.match(String(details.observed), /tag list of .*big\/app truncated: the first 1000 tags/);
  });

  it('follows Link pages to the end: 10,000 tags in 100 pages of 100, each asked once', async () => {
    const before = proxy.requests.length;
    const { observed } = await observe(manifest(proxy.host, { pattern: 'v1.x.x', newest: 2 }));
    const pages = proxy.requests.slice(before).filter((r) => /\/tags\/list/.test(r.path));
    assert.equal(pages.length, 100);
    assert.equal(new Set(pages.map((p) => p.path)).size, 100, 'no page asked twice');
    assert.equal(observed.truncated, undefined);
    assert.deepEqual(
      observed.pending.map((p) => p.sourceRef),
      ['v1.99.99', 'v1.99.98'],
    );
  });

  it('reads a repository once per sync for every manifest on it (same access), once per manifest otherwise', async () => {
    const context = clusterObserveContext(cp.kubeApi, DEFAULT_SETTINGS, namespace, []);
    const sync = registryPolicy(DEFAULT_REGISTRY_LIMITS);
    const mark = await trafficMark(registry);
    const newest = manifest(registry.host, { pattern: 'v1.x.x', newest: 1 });
    const oldest = manifest(registry.host, { pattern: 'v1.0.x', semver: '<1.0.1' });
    for (const m of [newest, oldest]) await observeImageSync(m, { ...context, registry: sync });
    await observeImageSync(newest, { ...context, registry: registryPolicy(DEFAULT_REGISTRY_LIMITS) });
    const lists = (await trafficSince(registry, mark))
      .map(describeRequest)
      .filter((a) => a.startsWith('GET tags'));
    assert.equal(lists.length, 2, 'two manifests in one sync, then a second sync');
  });

  it("stops at the sync's page budget and says so", async () => {
    const before = proxy.requests.length;
    const { observed } = await observe(manifest(proxy.host, { pattern: 'v1.x.x' }), { tagPagesPerSync: 10 });
    const pages = proxy.requests.slice(before).filter((r) => /\/tags\/list/.test(r.path));
    assert.equal(pages.length, 10);
    assert.deepEqual(observed.truncated, {
      repository: `${proxy.host}/big/app`,
      reason: 'syncPages',
      pages: 10,
      tags: 1000,
    });
    assert.match(observed.message, /REGISTRY_TAG_PAGES_PER_SYNC/);
  });
});
