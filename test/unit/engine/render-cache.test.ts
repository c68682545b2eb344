// The render cache reuses a render exactly when the render key of its inputs is the one of last sync, whether
// it tells by comparing the inputs (no hash) or, where it cannot, by the key.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { RenderCache, type RenderInputs, renderKey } from '../../../src/engine/render-cache.js';
import type { RenderedManifest } from '../../../src/engine/render-manifests.js';
import type { Manifest } from '../../../src/manifests/types.js';
import { seededRandom } from '../../support/random.js';

const manifest: Manifest = {
  key: 'ImagePrepull/tools',
  kind: 'ImagePrepull',
  name: 'tools',
  spec: { images: [{ name: 'a', image: 'busybox:1' }] },
  origin: { file: 'tools.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
};

function live(uid: string, resourceVersion: string): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'tools', uid, resourceVersion } };
}

const rendered: RenderedManifest = { manifest, objects: [], problems: [] };

/** Inputs that differ from the base in a few random ways, or not at all. */
function variant(next: () => number): RenderInputs {
  const pick = <T>(options: T[]): T =>
    next() < 0.7 ? options[0]! : options[Math.floor(next() * options.length)]!;
  return {
    manifest: pick([manifest, { ...manifest }, { ...manifest, spec: { images: [] } }]),
    namespace: pick(['ns', 'other']),
    settingsKey: pick(['s1', 's2']),
    live: pick([
      [live('u2', '1'), live('u1', '5')],
      [live('u1', '5'), live('u2', '1')],
      [live('u1', '5')],
      [live('u1', '6')],
      [],
    ]),
    observed: pick([
      { message: 'x' },
      undefined,
      null,
      { message: 'x' },
      { message: 'x', now: undefined },
      { message: 'y' },
      { when: new Date(0) },
      { when: '1970-01-01T00:00:00.000Z' },
      [1, 2],
    ]),
    ...(next() < 0.5 ? { commit: pick(['c1', 'c2']) } : {}),
  };
}

describe('render cache', () => {
  it('reuses a render exactly when the render key is the same as last sync', () => {
    const next = seededRandom(11);
    let reused = 0;
    for (let round = 0; round < 3000; round++) {
      const cache = new RenderCache();
      const before = variant(next);
      cache.set(manifest.key, before, rendered);
      cache.settle();
      const now = variant(next);
      const hit = cache.get(manifest.key, now) !== undefined;
      assert.equal(hit, renderKey(before) === renderKey(now), `round ${round}`);
      if (hit) reused++;
    }
    assert.ok(reused > 100, `${reused} reused`);
  });

  it('tells a copy of the observed state the same, and a Date the same as its text, by the key', () => {
    const cache = new RenderCache();
    const base = { manifest, namespace: 'ns', settingsKey: 's', live: [live('u', '1')] };
    cache.set(manifest.key, { ...base, observed: { when: new Date(0), digests: ['a'] } }, rendered);
    cache.settle();
    assert.equal(
      cache.get(manifest.key, { ...base, observed: { digests: ['a'], when: '1970-01-01T00:00:00.000Z' } }),
      rendered,
    );
    cache.settle();
    assert.equal(
      cache.get(manifest.key, { ...base, observed: { digests: ['a'], when: '1970-01-01T00:00:00.000Z' } }),
      rendered,
    );
    cache.settle();
    assert.equal(cache.get(manifest.key, { ...base, observed: { digests: ['b'] } }), undefined);
  });
});
