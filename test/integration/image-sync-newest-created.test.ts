// ImageSync `newest: {count, by: created}` on a real registry (issue 15, item 6): the tags made last, by
// their images' config `created`, not by version; each digest's config read once and kept in the memory
// the status store holds, so the next syncs make no manifest or blob GET. Counted from the access log.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { clusterObserveContext } from '../../src/engine/observe-context.js';
import { type ImageSyncObserved, observeImageSync } from '../../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../../src/kinds/image-sync/spec.js';
import type { Manifest } from '../../src/manifests/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { pushTestImage } from '../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { describeRequest, pushCreatedAt, trafficMark, trafficSince } from '../support/registry-traffic.js';

/** Version order says v1.0.2, v1.0.1; creation time says v0.9.0 (a late backport), then v1.0.0. */
const MADE = {
  'v1.0.0': '2024-03-01T00:00:00Z',
  'v1.0.1': '2024-01-01T00:00:00Z',
  'v1.0.2': '2024-02-01T00:00:00Z',
  'v0.9.0': '2025-01-01T00:00:00Z',
};

describe('ImageSync newest by creation time', function () {
  this.timeout(300_000);
  let source: TestRegistry;
  let destination: TestRegistry;
  let cp: ControlPlane;
  let namespace: string;

  function manifest(tags: ImageSyncSpec['tags']): Manifest<ImageSyncSpec> {
    return {
      key: 'ImageSync/created',
      kind: 'ImageSync',
      name: 'created',
      namespace,
      spec: {
        source: { image: `${source.host}/team/app` },
        destination: { image: `${destination.host}/team/app` },
        tags,
        registries: [
          { host: source.host, tlsVerify: false },
          { host: destination.host, tlsVerify: false },
        ],
      },
      origin: { file: 'created.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
    };
  }

  async function observe(m: Manifest<ImageSyncSpec>, previous?: unknown) {
    const mark = await trafficMark(source);
    const context = clusterObserveContext(cp.kubeApi, DEFAULT_SETTINGS, namespace, []);
    const observed: ImageSyncObserved = await observeImageSync(m, {
      ...context,
      ...(previous !== undefined ? { previous: JSON.parse(JSON.stringify(previous)) } : {}),
    });
    return { observed, asked: (await trafficSince(source, mark)).map(describeRequest) };
  }
  // Manifest and blob GETs; the referrers probe of the copies (referrers.ts) is counted apart.
  const isProbe = (a: string) => /^GET \/v2\/team\/app\/referrers\/sha256:[a-f0-9]{64} 404$/.test(a);
  const gets = (asked: string[]) =>
    asked.filter((a) => a.startsWith('GET ') && !a.startsWith('GET tags') && !isProbe(a));
  /** docker-registry 2.8 has no referrers API: one 404 per sync with copies to make, never one per tag. */
  const probes = (asked: string[]) => asked.filter(isProbe).length;

  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    await pushTestImage(source, 'team/app', 'base');
    for (const [tag, created] of Object.entries(MADE))
      await pushCreatedAt(source, 'team/app', 'base', tag, created);
    cp = await controlPlane();
    namespace = await cp.newNamespace('created');
  });
  after(async () => {
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('selects the tags made last, not the highest versions', async () => {
    const byVersion = await observe(manifest({ include: ['^v'], newest: { count: 2, by: 'version' } }));
    assert.deepEqual(
      byVersion.observed.pending.map((p) => p.sourceRef),
      ['v1.0.2', 'v1.0.1'],
    );
    const { observed, asked } = await observe(
      manifest({ include: ['^v'], newest: { count: 2, by: 'created' } }),
    );
    assert.deepEqual(
      observed.pending.map((p) => p.sourceRef),
      ['v0.9.0', 'v1.0.0'],
    );
    assert.equal(gets(asked).length, 4 * 2, 'each digest: its manifest and its config, once');
    assert.equal(probes(asked), 1);
    assert.equal(
      asked.filter((a) => a.startsWith('HEAD ')).length,
      4,
      'one HEAD per matched tag, none again',
    );
  });

  it('reads no manifest or config again once the times are kept; immutable tags cost no HEAD either', async () => {
    const m = manifest({ include: ['^v'], newest: { count: 2, by: 'created' } });
    const first = await observe(m);
    const again = await observe(m, first.observed.memory);
    assert.deepEqual(
      again.observed.pending.map((p) => p.sourceRef),
      ['v0.9.0', 'v1.0.0'],
    );
    assert.deepEqual(gets(again.asked), [], 'no manifest or blob GET');
    assert.equal(probes(again.asked), 1);
    assert.equal(again.asked.filter((a) => / 304$/.test(a)).length, 4, 'conditional HEADs');

    const immutable = manifest({ include: ['^v'], immutable: '^v', newest: { count: 2, by: 'created' } });
    const seen = await observe(immutable, first.observed.memory);
    const settled = await observe(immutable, seen.observed.memory);
    assert.deepEqual(
      settled.observed.pending.map((p) => p.sourceRef),
      ['v0.9.0', 'v1.0.0'],
    );
    assert.deepEqual(
      settled.asked.filter((a) => !isProbe(a)),
      ['GET tags team/app'],
      'the tag list, nothing per tag',
    );
    assert.equal(probes(settled.asked), 1);
  });
});
