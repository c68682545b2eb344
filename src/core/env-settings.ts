/** Whole-number settings from the environment, checked the same way wherever they are read. Pure. */
import { ImageGitopsError } from './errors.js';

export type Env = Record<string, string | undefined>;

/**
 * `env[name]` as a whole number from `min` to `max` (defaults 0 and unbounded), `fallback` when unset or
 * empty; anything else stops the start-up with a message naming the variable and what it got.
 */
export function wholeNumberSetting(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const { min = 0, max = Number.POSITIVE_INFINITY } = bounds;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  const wanted = Number.isFinite(max)
    ? `a whole number from ${min} to ${max}`
    : min === 0
      ? 'a non-negative integer'
      : `a whole number of at least ${min}`;
  throw new ImageGitopsError('CONFIG', `${name} must be ${wanted}, got "${raw}"`);
}
