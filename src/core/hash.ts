import { createHash, hash } from 'node:crypto';

type Json = Record<string, unknown>;

/**
 * JSON with object keys sorted, so that equal content always hashes the same. The text is exactly what
 * `JSON.stringify` with a key-sorting replacer gives (the applied hashes stored in clusters depend on it):
 * the same sorted copy, made first in one walk, then one native `JSON.stringify` without a replacer to call
 * back for every value (that callback was a third of render's time at 10,000 manifests).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedCopy(value, ''));
}

/**
 * What the replacer made of each value, in the order JSON.stringify applies it: `toJSON` first, then a copy
 * of an object with its keys inserted in sorted order (a JS object then lists integer-like keys first, and
 * `__proto__` sets no key, as they did in the replacer's copy). Values JSON leaves out of an object
 * (functions, symbols, undefined) are left out of the copy, so that a `toJSON` key is never called later.
 */
function sortedCopy(input: unknown, key: string): unknown {
  if (input === null || typeof input !== 'object') return input;
  const value =
    typeof (input as Json).toJSON === 'function'
      ? (input as { toJSON(key: string): unknown }).toJSON(key)
      : input;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = sortedCopy(value[i], String(i));
    return copy;
  }
  const copy: Json = {};
  for (const k of Object.keys(value).sort()) {
    const v = (value as Json)[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    copy[k] = sortedCopy(v, k);
  }
  return copy;
}

/** A key a JS object lists first, in numeric order: an array index. */
function arrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1;
}

/**
 * `canonicalJson` of the record of `keys` (sorted, no duplicates) to their strings in `values`, written out
 * without the sorted copy of a record of thousands of keys (the applied versions of a status shard).
 */
export function sortedRecordJson(keys: readonly string[], values: Readonly<Record<string, string>>): string {
  const record: Record<string, string> = {};
  const parts: string[] = [];
  for (const key of keys) {
    const value = values[key];
    // An index key, or one that is not a plain string entry: the general way gives the exact text.
    if (typeof value !== 'string' || arrayIndex(key) || key === '__proto__') {
      for (const k of keys) record[k] = values[k]!;
      return canonicalJson(record);
    }
    parts.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A value `canonicalJson` leaves out of an object (and writes as null in an array). */
function leftOut(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/**
 * Whether two values have the same canonical JSON, told without making it: a walk that allocates nothing, for
 * reusing the text of a value that did not change. True only when `canonicalJson(a) === canonicalJson(b)`;
 * it may say false of equal texts where telling would need the text (NaN, a `toJSON`).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (typeof (a as Json).toJSON === 'function' || typeof (b as Json).toJSON === 'function') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], other[i])) return false;
    return true;
  }
  let kept = 0;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    const v = (a as Json)[k];
    if (leftOut(v)) continue;
    if (!Object.hasOwn(b, k) || !sameJson(v, (b as Json)[k])) return false;
    kept++;
  }
  for (const k in b) if (Object.hasOwn(b, k) && !leftOut((b as Json)[k])) kept--;
  return kept === 0;
}

export function sha256Hex(data: string | Uint8Array): string {
  // crypto.hash: the one-shot form, without a Hash object per call (thousands per render).
  return typeof data === 'string'
    ? hash('sha256', data, 'hex')
    : createHash('sha256').update(data).digest('hex');
}

/** A short, stable content hash for names and annotations. */
export function contentHash(value: unknown, length = 10): string {
  return sha256Hex(canonicalJson(value)).slice(0, length);
}
