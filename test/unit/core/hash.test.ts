import assert from 'node:assert/strict';
import { canonicalJson, contentHash, sameJson, sortedRecordJson } from '../../../src/core/hash.js';
import { seededRandom } from '../../support/random.js';

/** What canonicalJson was first written as: the text every applied hash in a cluster was computed from. */
function replacerCanonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

const KEYS = [
  'b',
  'a',
  'B',
  '10',
  '9',
  '0',
  '01',
  'é',
  'z\u0000',
  '',
  'spec',
  'metadata',
  '__proto__',
  '-1',
  'toJSON',
];
const SCALARS: unknown[] = [
  0,
  -0,
  1.5,
  1e21,
  -1e-7,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  'text',
  'quote " and \\ and \n',
  '\ud800',
  '🙂',
  true,
  false,
  null,
  undefined,
  () => 1,
  Symbol('s'),
  new Date(0),
  new Map([[1, 2]]),
  Buffer.from('ab'),
  new Uint8Array([3, 4]),
];

function randomValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth <= 0 || pick < 0.4) return SCALARS[Math.floor(next() * SCALARS.length)];
  if (pick < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth - 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) {
    const key = KEYS[Math.floor(next() * KEYS.length)]!;
    Object.defineProperty(object, key, {
      value: randomValue(next, depth - 1),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return object;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }),
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });

  it('gives exactly the text of JSON.stringify with a key-sorting replacer, for any JSON-like value', () => {
    const next = seededRandom(16);
    for (let i = 0; i < 5000; i++) {
      const value = randomValue(next, 5);
      assert.equal(canonicalJson(value), replacerCanonicalJson(value), `value #${i}`);
    }
  });

  it('orders integer-like keys as a JS object does, and reads a toJSON first', () => {
    const value = { b: 1, 10: 'ten', 9: 'nine', a: new Date(0), nested: { toJSON: () => ({ y: 1, x: 2 }) } };
    assert.equal(canonicalJson(value), replacerCanonicalJson(value));
    assert.equal(
      canonicalJson(value),
      '{"9":"nine","10":"ten","a":"1970-01-01T00:00:00.000Z","b":1,"nested":{"x":2,"y":1}}',
    );
  });

  it('keeps the applied hash of a rendered object as it was', () => {
    const daemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'tools', namespace: 'ns', labels: { app: 'tools' } },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    };
    assert.equal(contentHash(daemonSet, 16), 'd75ef88f4fb0e972');
  });

  it('throws on a value JSON cannot hold', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = [cyclic];
    assert.throws(() => canonicalJson(cyclic));
    assert.throws(() => canonicalJson({ n: 1n }), TypeError);
  });
});

describe('sameJson', () => {
  it('says true only of values with the same canonical JSON, for any JSON-like value', () => {
    const next = seededRandom(61);
    let same = 0;
    for (let i = 0; i < 20000; i++) {
      const a = randomValue(next, 3);
      const b = next() < 0.5 ? randomValue(next, 3) : structuredCloneOrSelf(a);
      if (sameJson(a, b)) {
        same++;
        assert.equal(canonicalJson(a), canonicalJson(b), `pair #${i}`);
      }
    }
    assert.ok(same > 1000, `${same} pairs found the same`);
  });

  it('finds a copy the same, whatever its key order, and any one change different', () => {
    const status = {
      key: 'K/a',
      objects: [{ kind: 'DaemonSet', health: 'Healthy' }],
      line: 3,
      gone: undefined,
    };
    const copy = { line: 3, objects: [{ health: 'Healthy', kind: 'DaemonSet' }], key: 'K/a' };
    assert.equal(sameJson(status, copy), true);
    assert.equal(sameJson(copy, status), true);
    assert.equal(sameJson(status, { ...copy, line: 4 }), false);
    assert.equal(sameJson(status, { ...copy, extra: null }), false);
    assert.equal(sameJson(status, { ...copy, objects: [...copy.objects, {}] }), false);
    assert.equal(sameJson(status, { ...copy, objects: [{ kind: 'DaemonSet', health: 'Degraded' }] }), false);
    assert.equal(sameJson([1, 2], { 0: 1, 1: 2 }), false);
  });
});

/** A deep copy where one can be made (functions and symbols cannot be cloned: then the value itself). */
function structuredCloneOrSelf(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

describe('sortedRecordJson', () => {
  it('gives the canonical JSON of the record its sorted keys make, for any keys and strings', () => {
    const next = seededRandom(5);
    const values = ['g1', 'rv12', '', 'quote " \\', '\ud800', 'é'];
    for (let i = 0; i < 3000; i++) {
      const record: Record<string, string> = {};
      for (let n = Math.floor(next() * 6); n > 0; n--) {
        const key = next() < 0.5 ? KEYS[Math.floor(next() * KEYS.length)]! : `uid-${Math.floor(next() * 9)}`;
        Object.defineProperty(record, key, {
          value: values[Math.floor(next() * values.length)],
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      const keys = Object.keys(record).sort();
      // As the store built a shard's applied versions: each key set in sorted order.
      const built: Record<string, string> = {};
      for (const key of keys) built[key] = record[key]!;
      assert.equal(sortedRecordJson(keys, record), canonicalJson(built), `record #${i}`);
    }
  });
});
