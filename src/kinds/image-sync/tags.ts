/**
 * Which tags of a source repository a manifest selects, and in which order (newest first). Pure.
 * - `pattern`: image-operator's `2.x.0`, `v2.13.x`, `4.x.x`: the same number of dot segments, `x` for any
 *   number; suffixes such as `-alpine` do not match. The `v` follows image-operator's regex `^v?<pattern>$`:
 *   a pattern without `v` selects tags with or without it (`2.13.x` selects `2.13.4` and `v2.13.4`, `3.x`
 *   selects `v3.6`), a pattern with `v` only tags with it.
 * - `syntax: image-operator` (what an `Image` converts to): the pattern is run as image-operator's own
 *   regex, `GenerateRegex` in its internal/helpers/list_versions.go: every `.x` becomes `.\d+`, release
 *   candidates are `-rc` and one digit, `.` is not escaped (it matches any character, as there).
 * - `semver`: a range (`>=1.2 <1.4`, `^2.13`) over tags that are semantic versions (optional `v`).
 * - `include` / `exclude`: regular expressions searched in the tag (anchor them with ^...$ as needed), run by
 *   RE2 (re2js): linear time in the tag's length whatever the pattern (`^(a+)+$` cannot hang the process), so
 *   backreferences and lookarounds are refused at validation, with the field that holds them.
 * - release candidates (`-rc1`, `-rc.2`, `-RC3`) only with `releaseCandidates: true`.
 * - `newest`: keep only the N newest of what matched.
 */
import { RE2JS } from 're2js';
import semver from 'semver';
import type { NewestRule, TagSelector } from './spec.generated.js';

// The selector's shape is the schema's (spec.generated.ts); this module gives it meaning.
export type { NewestRule, TagSelector } from './spec.generated.js';

/** How many to keep and by what, whichever way `newest` is written. */
export function newestRule(newest: TagSelector['newest']): NewestRule | undefined {
  if (newest === undefined) return undefined;
  return typeof newest === 'number' ? { count: newest, by: 'version' } : { by: 'version', ...newest };
}

/**
 * The `count` tags made last, by each one's image `created` (newest first); tags whose time is unknown come
 * after those with one, in version order (`tags` is already in it, and the sort is stable).
 */
export function newestByCreated(
  tags: readonly string[],
  createdOf: (tag: string) => string | undefined,
  count: number,
): string[] {
  const time = (tag: string) => {
    const created = createdOf(tag);
    const ms = created === undefined ? Number.NaN : Date.parse(created);
    return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
  };
  const times = new Map(tags.map((tag) => [tag, time(tag)]));
  return [...tags].sort((a, b) => times.get(b)! - times.get(a)! || 0).slice(0, count);
}

const RC_SUFFIX = /-rc\.?(\d+)$/i;
const VERSION = /^(v?)(\d+(?:\.\d+)*)(?:-rc\.?(\d+))?$/i;
const PATTERN = /^(v?)((?:\d+|x)(?:\.(?:\d+|x))*)$/;

export interface ParsedVersion {
  prefix: string;
  numbers: number[];
  /** Release-candidate number, when the tag is one. */
  rc?: number;
}

export function isReleaseCandidate(tag: string): boolean {
  return RC_SUFFIX.test(tag);
}

/** `v2.13.1-rc.2` → { prefix: 'v', numbers: [2, 13, 1], rc: 2 }; undefined for other tags. */
export function parseVersionTag(tag: string): ParsedVersion | undefined {
  const match = VERSION.exec(tag);
  if (!match) return undefined;
  const version: ParsedVersion = { prefix: match[1] ?? '', numbers: (match[2] ?? '').split('.').map(Number) };
  if (match[3] !== undefined) version.rc = Number(match[3]);
  return version;
}

export function isTagPattern(text: string): boolean {
  return PATTERN.test(text) && /(^|\.)x(\.|$)/.test(text);
}

/** A matcher for an image-operator style pattern; throws on a text that is not one. */
export function patternMatcher(pattern: string): (tag: string) => boolean {
  const parsed = PATTERN.exec(pattern);
  if (!parsed) throw new Error(`"${pattern}" is not a tag pattern like 2.x.0, v2.13.x or 4.x.x`);
  const prefix = parsed[1] ?? '';
  const segments = (parsed[2] ?? '').split('.');
  return (tag) => {
    const version = parseVersionTag(tag);
    // image-operator's `^v?`: a pattern without `v` also takes `v`-prefixed tags; one with `v` only those.
    if (!version || (prefix === 'v' && version.prefix !== 'v')) return false;
    if (version.numbers.length !== segments.length) return false;
    return segments.every((segment, i) => segment === 'x' || Number(segment) === version.numbers[i]);
  };
}

/**
 * image-operator's regex for a version and `allowCandidateRelease`, as its GenerateRegex writes it:
 * `2.12.x` → `^v?2.12.\d+$`, with candidates `^v?2.12.\d+(-rc\d)?$`; a version without `.x` → `^v?<version>$`.
 */
export function imageOperatorRegex(version: string, allowCandidateRelease: boolean): string {
  if (!version.includes('.x')) return `^v?${version}$`;
  const regex = version.split('.x').join('.\\d+');
  return `^v?${regex}${allowCandidateRelease ? '(-rc\\d)?' : ''}$`;
}

function semverOf(tag: string): semver.SemVer | null {
  const version = parseVersionTag(tag);
  if (version?.numbers.length !== 3) return null;
  const core = version.numbers.join('.');
  return semver.parse(version.rc === undefined ? core : `${core}-rc.${version.rc}`);
}

/** Newest first: versions by number (a release above its RCs), then non-version tags by name, descending. */
export function compareTagsNewestFirst(a: string, b: string): number {
  const va = parseVersionTag(a);
  const vb = parseVersionTag(b);
  if (va && !vb) return -1;
  if (!va && vb) return 1;
  if (va && vb) {
    const length = Math.max(va.numbers.length, vb.numbers.length);
    for (let i = 0; i < length; i++) {
      const diff = (vb.numbers[i] ?? 0) - (va.numbers[i] ?? 0);
      if (diff !== 0) return diff;
    }
    const rcA = va.rc ?? Number.POSITIVE_INFINITY;
    const rcB = vb.rc ?? Number.POSITIVE_INFINITY;
    if (rcA !== rcB) return rcB > rcA ? 1 : -1;
  }
  return a < b ? 1 : a > b ? -1 : 0;
}

/** Longest include/exclude expression accepted. */
export const MAX_EXPRESSION_LENGTH = 1000;

/**
 * A manifest's regular expression, compiled by RE2 (linear-time matching); throws an Error saying why it is
 * refused. The one compiler for validation and sync, so that both refuse exactly the same expressions.
 */
export function compileTagExpression(expression: string): (tag: string) => boolean {
  if (expression.length > MAX_EXPRESSION_LENGTH)
    throw new Error(`longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let re: RE2JS;
  try {
    re = RE2JS.compile(expression);
  } catch (error) {
    const message = (error as Error).message.replace(/^error parsing regexp: /, '');
    throw new Error(`${message} (expressions run on RE2, in linear time: no backreferences or lookarounds)`);
  }
  return (tag) => re.test(tag);
}

/** Checks the selector's own texts (pattern, range, expressions); messages name the field. */
export function selectorProblems(selector: TagSelector): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (selector.pattern !== undefined && !PATTERN.test(selector.pattern)) {
    problems.push({
      field: 'pattern',
      message: `"${selector.pattern}" is not a pattern like 2.x.0, v2.13.x or 4.x.x`,
    });
  }
  if (selector.semver !== undefined && semver.validRange(selector.semver) === null) {
    problems.push({
      field: 'semver',
      message: `"${selector.semver}" is not a semver range like ">=1.2 <1.4"`,
    });
  }
  const expressions = [
    ...(['include', 'exclude'] as const).flatMap((key) =>
      (selector[key] ?? []).map((expression, i) => ({ field: `${key}/${i}`, expression })),
    ),
    ...(selector.immutable !== undefined ? [{ field: 'immutable', expression: selector.immutable }] : []),
  ];
  for (const { field, expression } of expressions) {
    try {
      compileTagExpression(expression);
    } catch (error) {
      problems.push({ field, message: `invalid regular expression: ${(error as Error).message}` });
    }
  }
  return problems;
}

/**
 * The tags the selector picks from `tags`, newest first, at most `newest`; with `newest: {by: created}`
 * every match in version order (the caller keeps the newest by creation time: newestByCreated).
 */
export function selectTags(tags: readonly string[], selector: TagSelector): string[] {
  const peer = selector.syntax === 'image-operator';
  const matchesPattern = !selector.pattern
    ? () => true
    : peer
      ? compileTagExpression(imageOperatorRegex(selector.pattern, !!selector.releaseCandidates))
      : patternMatcher(selector.pattern);
  const include = (selector.include ?? []).map(compileTagExpression);
  const exclude = (selector.exclude ?? []).map(compileTagExpression);
  const range = selector.semver;
  const selected = [...new Set(tags)].filter((tag) => {
    // image-operator's regex decides on candidates itself (`-rc` and one digit, only when allowed).
    if (!peer && isReleaseCandidate(tag) && !selector.releaseCandidates) return false;
    if (!matchesPattern(tag)) return false;
    if (range) {
      const version = semverOf(tag);
      if (
        !version ||
        !semver.satisfies(version, range, { includePrerelease: !!selector.releaseCandidates })
      ) {
        return false;
      }
    }
    if (include.length > 0 && !include.some((matches) => matches(tag))) return false;
    return !exclude.some((matches) => matches(tag));
  });
  selected.sort(compareTagsNewestFirst);
  const newest = newestRule(selector.newest);
  return newest && newest.by !== 'created' ? selected.slice(0, newest.count) : selected;
}
