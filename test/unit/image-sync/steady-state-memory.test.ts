import assert from 'node:assert/strict';
import {
  lastSeen,
  MEMORY_MAX_TAGS,
  memoryScope,
  readMemory,
  rememberSeen,
  settledImmutable,
} from '../../../src/kinds/image-sync/memory.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { selectorProblems } from '../../../src/kinds/image-sync/tags.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const spec: ImageSyncSpec = {
  source: { image: 'quay.io/argoproj/argocd' },
  destination: { image: 'registry.example.com/argoproj/argocd' },
  tags: { pattern: 'v2.x.x', immutable: '^v\\d+\\.\\d+\\.\\d+$' },
};

describe('ImageSync steady state: the digests kept between syncs', () => {
  const scope = memoryScope(spec);

  it('keeps one digest when both sides had it, both when they differ, "" for a side without the tag', () => {
    const memory = rememberSeen(scope, [
      { tag: 'v2.0.0', source: A, destination: A },
      { tag: 'v2.0.1', source: A, destination: B },
      { tag: 'v2.0.2', source: B },
      { tag: 'v2.0.3' },
    ]);
    assert.deepEqual(memory.tags, { 'v2.0.0': A, 'v2.0.1': [A, B], 'v2.0.2': [B, ''] });
    assert.deepEqual(lastSeen(memory, 'v2.0.0'), { source: A, destination: A });
    assert.deepEqual(lastSeen(memory, 'v2.0.1'), { source: A, destination: B });
    assert.deepEqual(lastSeen(memory, 'v2.0.2'), { source: B });
    assert.deepEqual(lastSeen(memory, 'v9.9.9'), {});
  });

  it('reads back what it stored, through JSON, and is the same text when nothing changed', () => {
    const seen = [
      { tag: 'v2.0.0', source: A, destination: A },
      { tag: 'v2.0.1', source: A, destination: B },
    ];
    const stored = JSON.parse(JSON.stringify(rememberSeen(scope, seen)));
    assert.deepEqual(readMemory(stored, scope), rememberSeen(scope, seen));
    assert.equal(JSON.stringify(rememberSeen(scope, seen)), JSON.stringify(rememberSeen(scope, seen)));
  });

  it('forgets what was seen for another source, destination, tag template or platform', () => {
    const stored = rememberSeen(scope, [{ tag: 'v2.0.0', source: A, destination: A }]);
    for (const other of [
      { ...spec, source: { image: 'quay.io/argoproj/other' } },
      { ...spec, destination: { image: 'registry.example.com/elsewhere' } },
      { ...spec, destination: { ...spec.destination, tag: '{{tag}}-copy' } },
      { ...spec, platforms: ['linux/arm64'] },
    ]) {
      const otherScope = memoryScope(other);
      assert.notEqual(otherScope, scope);
      assert.deepEqual(readMemory(stored, otherScope).tags, {});
    }
    assert.equal(
      memoryScope({ ...spec, tags: { pattern: 'v3.x.x' } }),
      scope,
      'the selection is not the scope',
    );
  });

  it('drops stored entries that are not digests, and anything that is not a memory', () => {
    const stored = {
      scope,
      tags: { ok: A, pair: [A, ''], bad: 'sha256:zz', worse: [A, 'x'], odd: 3, three: [A, A, A] },
    };
    assert.deepEqual(readMemory(stored, scope).tags, { ok: A, pair: [A, ''] });
    for (const junk of [undefined, null, 'x', [], { scope }, { scope, tags: [] }])
      assert.deepEqual(readMemory(junk, scope).tags, {});
  });

  it('settles an immutable tag only when seen with one digest on both sides and still listed', () => {
    assert.equal(settledImmutable({ source: A, destination: A }, true, true), true);
    assert.equal(settledImmutable({ source: A, destination: A }, false, true), false, 'mutable');
    assert.equal(settledImmutable({ source: A, destination: A }, true, false), false, 'copy deleted');
    assert.equal(settledImmutable({ source: A, destination: B }, true, true), false, 'differed');
    assert.equal(settledImmutable({ source: A }, true, true), false, 'never seen at destination');
    assert.equal(settledImmutable({}, true, true), false, 'never seen');
  });

  it(`keeps at most ${MEMORY_MAX_TAGS} tags, the first of the selection (newest first)`, () => {
    const seen = Array.from({ length: MEMORY_MAX_TAGS + 10 }, (_, i) => ({
      tag: `v1.0.${i}`,
      source: A,
      destination: A,
    }));
    const memory = rememberSeen(scope, seen);
    assert.equal(Object.keys(memory.tags).length, MEMORY_MAX_TAGS);
    assert.ok(memory.tags['v1.0.0'] && !memory.tags[`v1.0.${MEMORY_MAX_TAGS}`]);
  });

  it('refuses an immutable expression RE2 cannot run, naming the field', () => {
    assert.deepEqual(selectorProblems({ immutable: '^v\\d+$' }), []);
    const problems = selectorProblems({ immutable: '^(a)\\1$' });
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.field, 'immutable');
  });
});
