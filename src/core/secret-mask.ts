import type { KubeObject } from './kube-object.js';

/**
 * The one place Secret values are hidden, for every output: the diff, logs at any level, status, Events and
 * `--output json`. What stays visible is that a Secret exists or changes and which keys it has, never a
 * value (flux's ssa masks a Secret's data the same way before diffing it).
 */
export const HIDDEN = '(hidden)';
export const HIDDEN_CHANGED = '(hidden, changed)';
export const HIDDEN_ADDED = '(hidden, added)';

const VALUE_FIELDS = ['data', 'stringData'] as const;

/** A core/v1 Secret, wherever it is met (a planned object, a server's answer, a log field). */
export function isSecret(value: unknown): value is KubeObject {
  if (value === null || typeof value !== 'object') return false;
  const { kind, apiVersion } = value as { kind?: unknown; apiVersion?: unknown };
  return kind === 'Secret' && (apiVersion === 'v1' || apiVersion === undefined);
}

/**
 * A Secret with each value replaced by a marker. Given the other side of a diff, a value that differs from
 * it is marked changed (or added), so that a reviewer sees which keys change without seeing them.
 */
export function maskSecret(secret: KubeObject, other?: KubeObject): KubeObject {
  const masked: KubeObject = { ...secret };
  for (const field of VALUE_FIELDS) {
    const values = secret[field] as Record<string, unknown> | undefined;
    if (!values || typeof values !== 'object') continue;
    const others = (other?.[field] ?? {}) as Record<string, unknown>;
    masked[field] = Object.fromEntries(
      Object.keys(values).map((key) => [
        key,
        !other
          ? HIDDEN
          : !(key in others)
            ? HIDDEN_ADDED
            : others[key] !== values[key]
              ? HIDDEN_CHANGED
              : HIDDEN,
      ]),
    );
  }
  return masked;
}

/** A copy of any value (a report, a log field, a list of objects) with every Secret in it masked. */
export function maskSecrets<T>(value: T, depth = 0): T {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, depth + 1)) as T;
  if (isSecret(value)) return maskSecret(value) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = maskSecrets(item, depth + 1);
  return out as T;
}

/**
 * A message about a Secret (an API server's refusal may quote what it refused) with the Secret's values,
 * as stored (base64) and decoded, replaced.
 */
export function maskSecretValuesIn(text: string, secret: KubeObject): string {
  if (!isSecret(secret)) return text;
  const needles = new Set<string>();
  for (const field of VALUE_FIELDS) {
    for (const value of Object.values((secret[field] ?? {}) as Record<string, unknown>)) {
      if (typeof value !== 'string' || value.length < 4) continue;
      needles.add(value);
      if (field === 'data') {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        if (decoded.length >= 4) needles.add(decoded);
      } else needles.add(Buffer.from(value).toString('base64'));
    }
  }
  let masked = text;
  for (const needle of [...needles].sort((a, b) => b.length - a.length))
    masked = masked.split(needle).join(HIDDEN);
  return masked;
}
