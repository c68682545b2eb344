import assert from 'node:assert/strict';
import { scheduleToCron } from '../../../src/core/schedule.js';
import { timedFrequency } from '../../../src/kinds/image-sync/recurrence.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { loadManifests } from '../../../src/kinds/registry.js';

// image-operator `Image` files as a user brings them, through the loader the sync and `validate` use.
function loadImage(spec: string): { spec?: ImageSyncSpec; problems: string[] } {
  const content = [
    'apiVersion: skopeo.io/v1alpha1',
    'kind: Image',
    'metadata:',
    '  name: app',
    'spec:',
    ...spec
      .trim()
      .split('\n')
      .map((line) => `  ${line}`),
    '',
  ].join('\n');
  const loaded = loadManifests([{ path: 'image.yaml', content }]);
  return {
    ...(loaded.manifests[0] ? { spec: loaded.manifests[0].spec as ImageSyncSpec } : {}),
    problems: loaded.invalid.flatMap((i) => i.problems.map((p) => p.message)),
  };
}

const SIDES = `
source:
  name: quay.io/nginx/nginx-ingress
  version: VERSION
destination:
  name: registry.example.com/nginx/nginx-ingress
  version: VERSION`;

const sides = (version: string) => SIDES.replaceAll('VERSION', version);

describe("image-operator's modes and frequency", () => {
  it('runs a Recurrent Image without frequency every 5m, the CRD default', () => {
    const { spec, problems } = loadImage(`mode: Recurrent${sides('3.7-alpine')}`);
    assert.deepEqual(problems, []);
    assert.equal(spec?.schedule, '5m');
    assert.equal(scheduleToCron(spec!.schedule!), '*/5 * * * *');
  });

  it('takes 600s as ten minutes, and 1h30m, 36h, 45d, 2w as reconciler-timed frequencies', () => {
    const ten = loadImage(`mode: Recurrent\nfrequency: 600s${sides('3.7-alpine')}`);
    assert.equal(scheduleToCron(ten.spec!.schedule!), '*/10 * * * *');
    for (const frequency of ['1h30m', '90m', '36h', '45d', '2w', '45m', '5h']) {
      const { spec, problems } = loadImage(`mode: Recurrent\nfrequency: ${frequency}${sides('3.7-alpine')}`);
      assert.deepEqual(problems, [], frequency);
      assert.ok(timedFrequency(spec!) !== undefined, frequency);
    }
    assert.notDeepEqual(loadImage(`mode: Recurrent\nfrequency: soon${sides('3.7-alpine')}`).problems, []);
  });

  it('accepts Recurrent with a pattern: each run copies the matching tags that differ', () => {
    const { spec, problems } = loadImage(`mode: Recurrent\nfrequency: 1d${sides('3.x')}`);
    assert.deepEqual(problems, []);
    assert.equal(spec?.mode, 'Recurrent');
    assert.deepEqual(spec?.tags, { pattern: '3.x', releaseCandidates: false, syntax: 'image-operator' });
    assert.equal(timedFrequency(spec!), 86_400_000);
  });

  it('reads frequency for Recurrent only, and copies a OneShot pattern as OnceByTag', () => {
    const { spec } = loadImage(`mode: OneShot\nfrequency: 1m${sides('v2.13.x')}`);
    assert.equal(spec?.schedule, undefined);
    assert.equal(spec?.mode, 'OnceByTag');
  });
});
