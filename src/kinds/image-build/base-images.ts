/**
 * The base images a build pulls, read from its Dockerfile's FROM lines, and what they cost a pull budget.
 * Pure. `FROM scratch` and a FROM naming an earlier stage pull nothing; `ARG`s declared before the first FROM
 * are substituted (`$X`, `${X}`, `${X:-default}`, `${X:+alt}`), from the build's `buildArgs` over their
 * defaults; a reference still holding a variable is reported, not guessed. With `target`, the stages after
 * it are not built. A FROM with a fixed `--platform` is pulled once, any other once per architecture built.
 */
import { normaliseRegistryHost, parseImageReference } from '../../registry/references.js';

export interface BaseImage {
  /** As written, variables substituted. */
  reference: string;
  /** Its registry (Docker Hub for a short name). */
  host: string;
  /** Pulled once (a fixed `--platform`), else once per architecture built. */
  onePlatform: boolean;
}

export interface BaseImages {
  images: BaseImage[];
  /** FROM references whose variables could not be resolved: not counted. */
  unresolved: string[];
}

/** Manifest GETs of one platform's pull of an image whose kind is unknown: its index, then the platform's. */
export const PULLS_PER_PLATFORM = 2;

/** Logical lines: comments dropped, `\` continuations joined. */
function instructions(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (current === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // a comment inside a continuation
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push((current + line).trim());
    current = '';
  }
  if (current.trim()) lines.push(current.trim());
  return lines;
}

/** `${X}`, `$X`, `${X:-d}`, `${X:+a}`; undefined when a variable has no value. */
export function substitute(text: string, values: ReadonlyMap<string, string>): string | undefined {
  let missing = false;
  const out = text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string) => {
      const value = values.get(braced ?? bare);
      if (op === '-') return value ? value : (word ?? '');
      if (op === '+') return value ? (word ?? '') : '';
      if (value === undefined) missing = true;
      return value ?? '';
    },
  );
  return missing ? undefined : out;
}

/** `ARG NAME=value` or `ARG NAME` (several per line allowed): name → default (undefined without one). */
function argsOf(rest: string): Array<[string, string | undefined]> {
  return rest
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const eq = word.indexOf('=');
      if (eq < 0) return [word, undefined] as [string, string | undefined];
      return [word.slice(0, eq), word.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2')] as [string, string];
    });
}

function hostOf(reference: string): string | undefined {
  try {
    return normaliseRegistryHost(parseImageReference(reference).registry);
  } catch {
    return undefined;
  }
}

export function baseImages(
  dockerfile: string,
  buildArgs: Readonly<Record<string, string>> = {},
  target?: string,
): BaseImages {
  const globals = new Map<string, string>();
  const stages = new Set<string>();
  const images = new Map<string, BaseImage>();
  const unresolved: string[] = [];
  let seenFrom = false;
  for (const line of instructions(dockerfile)) {
    const [keyword = '', ...words] = line.split(/\s+/);
    const instruction = keyword.toUpperCase();
    if (instruction === 'ARG' && !seenFrom) {
      for (const [name, value] of argsOf(words.join(' '))) {
        const given = buildArgs[name] ?? value;
        if (given !== undefined) globals.set(name, given);
      }
      continue;
    }
    if (instruction !== 'FROM') continue;
    seenFrom = true;
    const flags = words.filter((w) => w.startsWith('--'));
    const [image, as, name] = words.filter((w) => !w.startsWith('--'));
    if (!image) continue;
    const platform = flags.find((f) => f.startsWith('--platform='))?.slice('--platform='.length);
    const reference = substitute(image, globals);
    const stageName = as?.toUpperCase() === 'AS' ? name?.toLowerCase() : undefined;
    if (reference === undefined) unresolved.push(image);
    else if (reference.toLowerCase() !== 'scratch' && !stages.has(reference.toLowerCase())) {
      // `--platform=$BUILDPLATFORM` and other fixed platforms: one pull; `$TARGETPLATFORM` is each built.
      const onePlatform = !!platform && !/TARGET(PLATFORM|OS|ARCH)/.test(platform);
      const host = hostOf(reference);
      const known = images.get(reference);
      if (host === undefined) unresolved.push(image);
      else
        images.set(reference, {
          reference,
          host,
          onePlatform: (known?.onePlatform ?? true) && onePlatform,
        });
    }
    if (stageName) stages.add(stageName);
    if (target && stageName === target.toLowerCase()) break;
  }
  return { images: [...images.values()], unresolved };
}

/** Manifest GETs by registry host: each image once per platform it is pulled for. */
export function basePullsByHost(images: readonly BaseImage[], architectures: number): Map<string, number> {
  const byHost = new Map<string, number>();
  for (const image of images) {
    const pulls = PULLS_PER_PLATFORM * (image.onePlatform ? 1 : Math.max(1, architectures));
    byHost.set(image.host, (byHost.get(image.host) ?? 0) + pulls);
  }
  return byHost;
}
