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
