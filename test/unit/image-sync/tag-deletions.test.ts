import assert from 'node:assert/strict';
import { checkImageSync } from '../../../src/kinds/image-sync/check.js';
import {
  DEFAULT_PRUNE_POLICY,
  describeDeletions,
  type PrunePolicy,
  planTagDeletions,
} from '../../../src/kinds/image-sync/deletions.js';
import {
  completedCopies,
  PUSHED_MAX_TAGS,
  type PushedRecord,
  readPushed,
  shortDigest,
  storedPushed,
  updatePushed,
} from '../../../src/kinds/image-sync/pushed.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const A = digest('a');
const B = digest('b');
const REPO = 'registry.example.com/mirror/app';

const spec = (prune: ImageSyncSpec['prune'], tags: ImageSyncSpec['tags'] = { pattern: '1.x.x' }) =>
  ({
    source: { image: 'quay.io/team/app' },
    destination: { image: REPO },
    tags,
    ...(prune ? { prune } : {}),
  }) as ImageSyncSpec;

function record(tags: Record<string, string>): PushedRecord {
  return updatePushed(
    { repository: REPO, tags: new Map() },
    Object.entries(tags).map(([tag, d]) => ({ tag, digest: d })),
  );
}

const plan = (
  pushed: PushedRecord,
  selected: string[],
  prune: ImageSyncSpec['prune'] = { enabled: true },
  policy: PrunePolicy = DEFAULT_PRUNE_POLICY,
  incomplete?: string,
) =>
  planTagDeletions({
    record: pushed,
    selected: new Set(selected),
    spec: spec(prune),
    policy,
    ...(incomplete ? { incomplete } : {}),
  });

const states = (p: ReturnType<typeof plan>) => Object.fromEntries(p.deletions.map((d) => [d.tag, d.state]));

describe('ImageSync prune: the record of the tags it pushed', () => {
  it('records a tag once its copy is seen completed: pending last sync with that digest, or copied by a finished Job', () => {
    const done = completedCopies([
      { destinationTag: '1.0.0', digest: A, upToDate: true, pendingBefore: A },
      { destinationTag: '1.1.0', digest: B, upToDate: true, copiedByJob: true },
      // Already at the destination when first seen: someone else pushed it.
      { destinationTag: '1.2.0', digest: A, upToDate: true },
      // Pending with another digest last time: the destination got this one from someone else.
      { destinationTag: '1.3.0', digest: A, upToDate: true, pendingBefore: B },
      // Still pending: not pushed yet.
      { destinationTag: '1.4.0', digest: A, upToDate: false, pendingBefore: A },
    ]);
    assert.deepEqual(done, [
      { tag: '1.0.0', digest: A },
      { tag: '1.1.0', digest: B },
    ]);
  });

  it('stores each tag with a short digest, reads it back through JSON, and only for the same destination', () => {
    const pushed = record({ '1.0.0': A, latest: B });
    const stored = JSON.parse(JSON.stringify(storedPushed(pushed)));
    assert.deepEqual(stored, {
      repository: REPO,
      tags: [`1.0.0@${'a'.repeat(16)}`, `latest@${'b'.repeat(16)}`],
    });
    assert.deepEqual(readPushed({ pushed: stored }, REPO).tags, pushed.tags);
    assert.equal(readPushed({ pushed: stored }, 'registry.example.com/other').tags.size, 0);
    assert.equal(readPushed({ pushed: { repository: REPO, tags: ['bad entry', 7] } }, REPO).tags.size, 0);
    assert.equal(storedPushed(record({})), undefined);
    assert.equal(shortDigest(A), 'a'.repeat(16));
  });

  it('keeps at most PUSHED_MAX_TAGS, forgetting the oldest first', () => {
    const many = Object.fromEntries(
      Array.from({ length: PUSHED_MAX_TAGS + 2 }, (_, i) => [`t${i}`, A] as const),
    );
    const pushed = record(many);
    assert.equal(pushed.tags.size, PUSHED_MAX_TAGS);
    assert.ok(!pushed.tags.has('t0') && !pushed.tags.has('t1') && pushed.tags.has('t2'));
  });
});

describe('ImageSync prune: which pushed tags are deleted', () => {
  const pushed = record({ '1.0.0': A, '1.1.0': A, '1.2.0': B, '1.3.0': B });

  it('deletes the pushed tags that left the selection, and only those', () => {
    const p = plan(pushed, ['1.2.0', '1.3.0', '1.4.0']);
    assert.deepEqual(states(p), { '1.0.0': 'delete', '1.1.0': 'delete' });
    assert.equal(p.refused, undefined);
  });

  it('never deletes a tag it did not push, selected or not', () => {
    // 9.9.9 and foreign are at the destination but not in the record: never candidates.
    const p = plan(record({ '1.0.0': A, '1.1.0': A, '1.2.0': A }), ['1.1.0', '1.2.0']);
    assert.deepEqual(
      p.deletions.map((d) => d.tag),
      ['1.0.0'],
    );
  });

  it('keeps the tags prune.retain matches, and reports them', () => {
    const p = plan(pushed, ['1.2.0', '1.3.0'], { enabled: true, retain: '^1\\.0\\.' });
    assert.deepEqual(states(p), { '1.0.0': 'retained', '1.1.0': 'delete' });
    assert.match(p.deletions.find((d) => d.tag === '1.0.0')?.reason ?? '', /prune\.retain/);
  });

  it('deletes nothing unless prune.enabled (the default is off)', () => {
    const absent = planTagDeletions({
      record: pushed,
      selected: new Set(),
      spec: spec(undefined),
      policy: DEFAULT_PRUNE_POLICY,
    });
    assert.deepEqual(absent.deletions, []);
    assert.deepEqual(plan(pushed, [], {}).deletions, []);
    assert.deepEqual(plan(pushed, [], { enabled: false }).deletions, []);
  });

  it('refuses them all at once past MAX_PRUNE_SHARE of the tags it pushed, unless mass prune is allowed', () => {
    const refused = plan(pushed, ['1.3.0']);
    assert.deepEqual(states(refused), { '1.0.0': 'refused', '1.1.0': 'refused', '1.2.0': 'refused' });
    assert.deepEqual(refused.refused, { wouldDelete: 3, recorded: 4, maxShare: 0.5 });
    assert.match(refused.deletions[0]?.reason ?? '', /3 of the 4 tags.*--allow-mass-prune/);
    assert.match(describeDeletions(refused.deletions), /3 REFUSED \(prune refused/);
    // At the bound (2 of 4 = 50%) it goes ahead, as the objects' guard does.
    assert.deepEqual(Object.values(states(plan(pushed, ['1.2.0', '1.3.0']))), ['delete', 'delete']);
    const allowed = plan(
      pushed,
      ['1.3.0'],
      { enabled: true },
      { ...DEFAULT_PRUNE_POLICY, allowMassPrune: true },
    );
    assert.deepEqual(Object.values(states(allowed)), ['delete', 'delete', 'delete']);
  });

  it('deletes nothing while the selection is not known in full, nor with PRUNE=false', () => {
    const cut = plan(pushed, ['1.3.0'], { enabled: true }, DEFAULT_PRUNE_POLICY, 'tag list cut short');
    assert.deepEqual(Object.values(states(cut)), ['held', 'held', 'held']);
    const off = plan(
      pushed,
      ['1.2.0', '1.3.0'],
      { enabled: true },
      { ...DEFAULT_PRUNE_POLICY, enabled: false },
    );
    assert.deepEqual(Object.values(states(off)), ['held', 'held']);
    assert.match(off.deletions[0]?.reason ?? '', /PRUNE=false/);
  });

  it('validates prune: retain is an RE2 expression, one destination repository, not with a CronJob', () => {
    const fields = (s: ImageSyncSpec) => checkImageSync(s).map((p) => p.field);
    assert.deepEqual(fields(spec({ enabled: true, retain: '^(?=v)' })), ['/spec/prune/retain']);
    assert.deepEqual(
      fields({ ...spec({ enabled: true }), destination: { image: 'registry.example.com/{{tag}}/app' } }),
      ['/spec/destination/image'],
    );
    assert.deepEqual(
      fields({
        source: { image: 'quay.io/team/app:1.0' },
        destination: { image: REPO },
        schedule: '15m',
        prune: { enabled: true },
      }),
      ['/spec/prune'],
    );
    assert.deepEqual(fields(spec({ enabled: true, retain: '^1\\.0\\.' })), []);
  });
});
