import assert from 'node:assert/strict';
import { convertImageOperatorImage } from '../../../src/kinds/image-sync/alias-image-operator.js';
import {
  givesUp,
  LEAVE_GIVE_UP_MS,
  LEAVE_MIN_ATTEMPTS,
  leaveSpecOf,
  leftMemory,
  nextClock,
  readLeave,
  readLeaving,
  splitRepository,
  standIn,
  withLeave,
} from '../../../src/kinds/image-sync/leaving.js';
import { filesSecretName } from '../../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { syncManifest } from './fixtures.js';

const REPO = 'registry.example.com/mirror/app';
const spec = (over: Partial<ImageSyncSpec> = {}): ImageSyncSpec => ({
  source: { image: 'quay.io/team/app' },
  destination: { image: REPO },
  tags: { pattern: '1.x.x' },
  prune: { enabled: true, retain: '^1\\.0\\.' },
  registries: [
    { host: 'quay.io', credentialsSecret: 'quay-pull' },
    {
      host: 'https://registry.example.com',
      credentialsSecret: 'push',
      tlsVerify: false,
      caSecret: { name: 'ca' },
      budget: { pulls: 10, per: '1h' },
    },
  ],
  ...over,
});
const leave = {
  name: 'argocd',
  file: 'image-sync/argocd.yaml',
  repository: REPO,
  registry: {
    host: 'https://registry.example.com',
    credentialsSecret: 'push',
    tlsVerify: false,
    caSecret: { name: 'ca' },
  },
  retain: '^1\\.0\\.',
};
const pushed = { repository: REPO, tags: [`1.1.0@${'a'.repeat(16)}`, `1.0.0@${'b'.repeat(16)}`] };

describe('ImageSync prune: what a manifest keeps for when it leaves Git', () => {
  it('keeps, with prune, its name, file, destination, the destination host entry as references, and retain', () => {
    assert.deepEqual(leaveSpecOf(syncManifest(spec())), leave);
    const namespaced = { ...syncManifest(spec()), namespace: 'team' };
    assert.equal(leaveSpecOf(namespaced)?.namespace, 'team');
    assert.deepEqual(
      leaveSpecOf(syncManifest(spec({ registries: [] }))),
      { name: 'argocd', file: 'image-sync/argocd.yaml', repository: REPO, retain: '^1\\.0\\.' },
      'no entry of its own: the reconciler-wide registries apply then',
    );
  });

  it('keeps nothing without prune (default off), and nothing for an image-operator Image', () => {
    assert.equal(leaveSpecOf(syncManifest(spec({ prune: { enabled: false } }))), undefined);
    const { prune: _, ...withoutPrune } = spec();
    assert.equal(leaveSpecOf(syncManifest(withoutPrune)), undefined);
    const image = convertImageOperatorImage({
      apiVersion: 'skopeo.io/v1alpha1',
      kind: 'Image',
      metadata: { name: 'app' },
      spec: {
        mode: 'OnceByTag',
        source: { name: 'quay.io/team/app', version: '1.x.x' },
        destination: { name: REPO, version: '1.x.x' },
      },
    });
    assert.equal(image.destination.image, REPO, 'converted');
    assert.equal(leaveSpecOf(syncManifest(image)), undefined);
  });

  it('reads back only a well-formed leave: names, hosts, repository and retain checked, unknown fields dropped', () => {
    assert.deepEqual(readLeave(leave), leave);
    assert.deepEqual(readLeave({ ...leave, registry: { ...leave.registry, password: 'x' } }), leave);
    for (const bad of [
      undefined,
      'x',
      { ...leave, name: 'Not A Name' },
      { ...leave, namespace: 'x/y' },
      { ...leave, file: '' },
      { ...leave, file: 'a\0b' },
      { ...leave, repository: 'no-slash' },
      { ...leave, repository: 'host/Upper' },
      { ...leave, retain: '(' },
      { ...leave, retain: 7 },
      { ...leave, registry: { host: 'a b' } },
      { ...leave, registry: { host: 'h', credentialsSecret: 'Bad_Name' } },
      { ...leave, registry: { host: 'h', tlsVerify: 'no' } },
      { ...leave, registry: { host: 'h', caSecret: { name: 'ca', key: 3 } } },
    ])
      assert.equal(readLeave(bad), undefined, JSON.stringify(bad));
  });

  it('finds something to delete only with a leave and a record of that very repository', () => {
    const state = readLeaving({ pushed, leave, scope: 'x', tags: {} });
    assert.deepEqual([...(state?.record.tags.keys() ?? [])], ['1.1.0', '1.0.0']);
    assert.equal(state?.clock, undefined);
    assert.equal(readLeaving({ pushed }), undefined, 'no leave: prune was off');
    assert.equal(readLeaving({ leave }), undefined, 'nothing pushed');
    assert.equal(readLeaving({ leave, pushed: { ...pushed, repository: 'other.example/x' } }), undefined);
    const clock = { since: '2026-01-01T00:00:00.000Z', attempts: 2 };
    assert.deepEqual(readLeaving({ leave, pushed, leaving: clock })?.clock, clock);
    assert.equal(readLeaving({ leave, pushed, leaving: { since: 'never', attempts: 2 } })?.clock, undefined);
  });

  it('gives up only past both bounds: the time since the first try and the number of tries', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const first = nextClock(undefined, start);
    assert.deepEqual(first, { since: start.toISOString(), attempts: 1 });
    const later = new Date(start.getTime() + LEAVE_GIVE_UP_MS);
    assert.equal(givesUp(first, later), false, 'a day later, but tried once: a reconciler that was down');
    const many = { since: first.since, attempts: LEAVE_MIN_ATTEMPTS + 1 };
    assert.equal(givesUp(many, new Date(later.getTime() - 1)), false, 'tried often, but not for long');
    assert.equal(givesUp(many, later), true);
    assert.deepEqual(nextClock(many, later), { since: first.since, attempts: LEAVE_MIN_ATTEMPTS + 2 });
  });

  it('stores the removed manifest as its leave, record and clock, and stands in for it under its old names', () => {
    const state = readLeaving({ pushed, leave })!;
    const clock = { since: '2026-01-01T00:00:00.000Z', attempts: 1 };
    assert.deepEqual(leftMemory(leave, state.record, clock), { pushed, leave, leaving: clock });
    assert.deepEqual(readLeaving(leftMemory(leave, state.record, clock)), { ...state, clock });
    const manifest = standIn('ImageSync/argocd', leave);
    assert.equal(manifest.origin.file, 'image-sync/argocd.yaml');
    assert.equal(filesSecretName(manifest), filesSecretName(syncManifest(spec())), 'the same files Secret');
    assert.deepEqual(splitRepository(REPO), { registry: 'registry.example.com', repository: 'mirror/app' });
  });

  it('brings only leave up to date in a memory kept without an observe (prune turned off: none)', () => {
    const stored = { scope: 's', tags: {}, pushed, leave };
    assert.deepEqual(withLeave(stored, undefined), { scope: 's', tags: {}, pushed });
    assert.deepEqual(withLeave({ scope: 's', tags: {} }, leave), { scope: 's', tags: {}, leave });
    assert.equal(withLeave(undefined, leave), undefined);
    assert.equal(withLeave([1], leave), undefined);
  });
});
