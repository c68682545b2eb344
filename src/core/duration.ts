/**
 * The one duration grammar, for manifests (`schedule`) and settings (`SYNC_SCHEDULE`) alike: numbers with a
 * unit, one or more in a row, as Go's time.ParseDuration writes them plus days and weeks. Units `ms`, `s`,
 * `m`, `h`, `d` (24 h) and `w` (7 d); decimals allowed (`1.5h`); no sign, no spaces. Pure.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;
// `ms` is tried before `m`, so `5ms` is five milliseconds and never five minutes followed by a stray `s`.
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** Spellings to show in messages. */
export const DURATION_EXAMPLES = '500ms, 30s, 5m, 1h30m, 36h, 1d, 2w';

/** `1h30m` → 5 400 000, `1w2d` → 777 600 000 (whole milliseconds); undefined for a text that is no duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART))
    ms += Number(amount) * UNIT_MS[unit as Unit];
  return Math.round(ms);
}

const FORMAT_UNITS: ReadonlyArray<readonly [Unit, number]> = [
  ['d', UNIT_MS.d],
  ['h', UNIT_MS.h],
  ['m', UNIT_MS.m],
  ['s', UNIT_MS.s],
  ['ms', UNIT_MS.ms],
];

/** `5400000` → `1h30m`, `1500` → `1s500ms`: text that parseDuration reads back as the same duration. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of FORMAT_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('') || '0ms';
}
