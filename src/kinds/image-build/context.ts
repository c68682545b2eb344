/**
 * The build context, packed into the Job's ConfigMap.
 *
 * Why a packed ConfigMap rather than an init container that fetches the commit: the Job then builds exactly
 * what the reconciler read at the synced commit, needs no Git credentials or network path to the Git server
 * inside the cluster, and its content hash names both the ConfigMap and the Job. The price is a size bound
 * (ConfigMaps cap at 1 MiB): contexts are meant to be a Dockerfile and a few small files; large inputs
 * belong in a base image or are fetched by the Dockerfile itself.
 *
 * Layout of the archive (extracted into the workspace by the init step): `context/<path in context>`, and
 * `Containerfile.inline` for an inline Dockerfile, `registries.conf` when a registry is insecure. ConfigMap keys cannot hold '/', hence one tar in binaryData.
 */
import type { Problem, SourceLocation } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import { fitsUstarPath, tarFileSize } from '../../core/tar.js';
import { type TarFile, writeContextArchive } from './tar.js';
import { DEFAULT_DOCKERFILE, type ImageBuildSpec } from './types.js';

export const CONTEXT_DIR = 'context';
export const INLINE_DOCKERFILE = 'Containerfile.inline';
/** The ConfigMap binaryData key holding the archive. */
export const CONTEXT_ARCHIVE_KEY = 'context.tar';

/** Repo files as the engine gives them; Uint8Array is taken as is, so binary files stay exact when provided so. */
export type RepoFiles = ReadonlyMap<string, string | Uint8Array>;

export interface PackedContext {
  archive: Buffer;
  /** sha256 of the archive: the same files always give the same archive. */
  digest: string;
  /** Paths of the context files, relative to the context folder. */
  files: string[];
  /** The Dockerfile, relative to the workspace the archive is extracted into. */
  dockerfile: string;
  /** Files at the top of the workspace, outside the build context (e.g. `registries.conf`). */
  workspaceFiles: string[];
}

export type PackResult = { ok: true; context: PackedContext } | { ok: false; problem: Problem };

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

function hasUnsafeSegment(path: string): boolean {
  return path.split('/').some((segment) => segment === '..') || path.startsWith('/');
}

/** A context path or Dockerfile that leaves the repo: the same rule packContext applies at render time. */
export function contextPathProblems(
  spec: Partial<Pick<ImageBuildSpec, 'context' | 'dockerfile'>>,
): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  const path = spec.context?.path;
  if (typeof path === 'string' && hasUnsafeSegment(path))
    problems.push({ field: '/spec/context/path', message: `context path "${path}" leaves the repo` });
  if (typeof spec.dockerfile === 'string' && hasUnsafeSegment(spec.dockerfile))
    problems.push({
      field: '/spec/dockerfile',
      message: `Dockerfile "${spec.dockerfile}" leaves the context folder`,
    });
  return problems;
}

/** `image-build/app/` for `image-build/app`, '' for the repo root. */
export function contextPrefix(path: string): string {
  const trimmed = path.replace(/^\.\/+/, '').replace(/\/+$/, '');
  return trimmed === '' || trimmed === '.' ? '' : `${trimmed}/`;
}

function problem(
  code: Problem['code'],
  message: string,
  location: SourceLocation,
  field: string,
): PackResult {
  return { ok: false, problem: { code, message, location: { ...location, field } } };
}

/**
 * Collects the context folder's files (and the inline Dockerfile) and packs them, within `maxBytes` of
 * archive. `location` is the manifest's file, for the problems.
 */
export function packContext(
  spec: Pick<ImageBuildSpec, 'context' | 'dockerfile' | 'inline'>,
  repoFiles: RepoFiles,
  maxBytes: number,
  location: SourceLocation,
  /** More files at the top of the workspace (outside the build context), e.g. `registries.conf`. */
  workspaceFiles: Readonly<Record<string, string>> = {},
): PackResult {
  const entries: TarFile[] = Object.keys(workspaceFiles)
    .sort()
    .map((path) => ({ path, content: toBytes(workspaceFiles[path] as string) }));
  const contextFiles: string[] = [];
  if (spec.context) {
    if (hasUnsafeSegment(spec.context.path)) {
      return problem(
        'INVALID_SPEC',
        `context path "${spec.context.path}" leaves the repo`,
        location,
        '/spec/context/path',
      );
    }
    const prefix = contextPrefix(spec.context.path);
    for (const [path, content] of repoFiles) {
      if (!path.startsWith(prefix) || hasUnsafeSegment(path)) continue;
      const relative = path.slice(prefix.length);
      // Context paths keep ustar's bounds, as they always had (longer ones would need a PAX header).
      if (!fitsUstarPath(`${CONTEXT_DIR}/${relative}`)) {
        return problem(
          'INVALID_SPEC',
          `context file ${path}: path too long to pack`,
          location,
          '/spec/context/path',
        );
      }
      contextFiles.push(relative);
      entries.push({ path: `${CONTEXT_DIR}/${relative}`, content: toBytes(content) });
    }
    if (contextFiles.length === 0) {
      return problem(
        'INVALID_SPEC',
        `context folder "${spec.context.path}" has no files at this commit: check the path (from the repo root)`,
        location,
        '/spec/context/path',
      );
    }
  }

  let dockerfile: string;
  if (spec.inline !== undefined) {
    dockerfile = INLINE_DOCKERFILE;
    entries.push({ path: INLINE_DOCKERFILE, content: toBytes(spec.inline) });
  } else {
    const name = spec.dockerfile ?? DEFAULT_DOCKERFILE;
    if (!spec.context) {
      return problem(
        'INVALID_SPEC',
        'give either spec.context (with a Dockerfile in it) or spec.inline',
        location,
        '/spec',
      );
    }
    if (hasUnsafeSegment(name) || !contextFiles.includes(name)) {
      return problem(
        'INVALID_SPEC',
        `Dockerfile "${name}" not found in context folder "${spec.context.path}"`,
        location,
        '/spec/dockerfile',
      );
    }
    dockerfile = `${CONTEXT_DIR}/${name}`;
  }

  const total = entries.reduce((sum, entry) => sum + tarFileSize(entry.path, entry.content.length), 0);
  if (total > maxBytes) {
    const largest = [...entries].sort((a, b) => b.content.length - a.content.length).slice(0, 3);
    const named = largest.map((entry) => `${describeEntry(entry.path, spec)} (${kib(entry.content.length)})`);
    return problem(
      'FILE_TOO_LARGE',
      `build context packs to ${kib(total)}, over the ${kib(maxBytes)} bound; largest: ${named.join(', ')}. ` +
        'Keep large files out of the context folder (put them in a base image or fetch them in the Dockerfile).',
      location,
      spec.inline !== undefined && largest[0]?.path === INLINE_DOCKERFILE
        ? '/spec/inline'
        : '/spec/context/path',
    );
  }

  const archive = writeContextArchive(entries);
  const extra = Object.keys(workspaceFiles).sort();
  return {
    ok: true,
    context: {
      archive,
      digest: sha256Hex(archive),
      files: contextFiles.sort(),
      dockerfile,
      workspaceFiles: extra,
    },
  };
}

/** The repo path of an archive entry, as the user knows it. */
function describeEntry(entryPath: string, spec: Pick<ImageBuildSpec, 'context'>): string {
  if (entryPath === INLINE_DOCKERFILE) return 'spec.inline';
  if (!entryPath.startsWith(`${CONTEXT_DIR}/`)) return entryPath;
  const relative = entryPath.slice(CONTEXT_DIR.length + 1);
  return `${spec.context ? contextPrefix(spec.context.path) : ''}${relative}`;
}
