import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A short, stable content hash for names and annotations. */
export function contentHash(value: unknown, length = 10): string {
  return sha256Hex(canonicalJson(value)).slice(0, length);
}
