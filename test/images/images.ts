// The bench's own container images (test/images/build-images.sh): built once per machine and input key into
// the cache folder as oci-archives, pushed to a test registry under `image-gitops-test/<name>:<key>`.
// linux/amd64 only (the architecture of this machine). Building needs root; a warm cache answers in a second.
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, spawnTracked } from '../support/processes.js';

export type ImageName = 'busybox' | 'skopeo' | 'buildah' | 'registry' | 'reconciler';

/**
 * - busybox: static busybox with applet symlinks; the node's pause image, Settings.images.shell and .sleep.
 * - skopeo, buildah, registry: Debian bookworm (one shared layer) with the Debian package.
 * - reconciler: the project's Dockerfile, unchanged, on local node:20 images made of this machine's Node.
 */
export const IMAGE_NAMES: readonly ImageName[] = ['busybox', 'skopeo', 'buildah', 'registry', 'reconciler'];

/** The repository prefix the images are pushed under. */
export const IMAGE_REPOSITORY_PREFIX = 'image-gitops-test';

/** Where build-images.sh keeps its archives and storage: `<IMAGE_GITOPS_CACHE or ~/.cache/image-gitops>/images`. */
export function imagesCacheDir(): string {
  const cache =
    process.env.IMAGE_GITOPS_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), '.cache'), 'image-gitops');
  return join(cache, 'images');
}

const SCRIPT = join(fileURLToPath(new URL('.', import.meta.url)), 'build-images.sh');
/** A cold build takes 1 to 1.5 minutes on this machine (mmdebstrap, two `npm ci`): room for a slow mirror. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
const ARCHIVE_NAME = /^([a-z]+)-([0-9a-f]{16})\.oci\.tar$/;

const built = new Map<ImageName, string>();

function parseOutput(stdout: string, names: readonly ImageName[]): Record<ImageName, string> {
  const parsed = JSON.parse(stdout) as Record<string, string>;
  for (const name of names) {
    const file = parsed[name];
    if (typeof file !== 'string') throw new Error(`build-images.sh printed no archive for ${name}`);
    built.set(name, file);
  }
  return fromCache(names);
}

function fromCache(names: readonly ImageName[]): Record<ImageName, string> {
  const result = {} as Record<ImageName, string>;
  for (const name of names) result[name] = built.get(name) as string;
  return result;
}

function missing(names: readonly ImageName[]): ImageName[] {
  return names.filter((name) => !built.has(name));
}

/**
 * Absolute paths of the images' oci-archives, by name (all five by default, or the names given), building
 * what is missing. Synchronous: it blocks the event loop while a cold build runs (minutes), so call it
 * before starting processes whose output must keep flowing; `buildImages` is the asynchronous form.
 * Cached in-process: the script runs at most once per name.
 */
export function builtImages(names: readonly ImageName[] = IMAGE_NAMES): Record<ImageName, string> {
  const todo = missing(names);
  if (todo.length > 0) {
    const stdout = execFileSync('bash', [SCRIPT, ...todo], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: BUILD_TIMEOUT_MS,
      maxBuffer: 1024 * 1024,
    });
    parseOutput(stdout, todo);
  }
  return fromCache(names);
}

let building: Promise<unknown> = Promise.resolve();

/** `builtImages` without blocking the event loop; the script's progress streams to stderr. */
export function buildImages(names: readonly ImageName[] = IMAGE_NAMES): Promise<Record<ImageName, string>> {
  // One script run at a time in this process (the script also locks across processes).
  const next = building.then(async () => {
    const todo = missing(names);
    if (todo.length > 0) {
      const child = spawnTracked('bash', [SCRIPT, ...todo], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr?.on('data', (chunk: Buffer) => {
        err.push(chunk);
        process.stderr.write(chunk);
      });
      const timer = setTimeout(() => child.kill('SIGTERM'), BUILD_TIMEOUT_MS);
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (status) => resolve(status));
      }).finally(() => clearTimeout(timer));
      if (code !== 0) {
        const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-20).join('\n');
        throw new Error(`test/images/build-images.sh exited ${code}:\n${tail}`);
      }
      parseOutput(Buffer.concat(out).toString('utf8'), todo);
    }
    return fromCache(names);
  });
  building = next.catch(() => undefined);
  return next;
}

/** The input key of an archive built by build-images.sh (its file name carries it). */
export function imageKey(archive: string): string {
  const match = ARCHIVE_NAME.exec(basename(archive));
  if (!match) throw new Error(`not an archive of build-images.sh: ${archive}`);
  return match[2] as string;
}

/**
 * Pushes the images (all five by default) to `registryHost` (plain HTTP or unverified TLS) as
 * `<registryHost>/image-gitops-test/<name>:<key>`, and returns these pullable references by name. The tag is
 * the input key, so a pushed tag never changes content. Builds what is missing first. Pushes run one after
 * the other: skopeo, buildah and registry share their Debian layer, which is uploaded once.
 */
export async function pushImages(
  registryHost: string,
  names: readonly ImageName[] = IMAGE_NAMES,
): Promise<Record<ImageName, string>> {
  const archives = await buildImages(names);
  const references = {} as Record<ImageName, string>;
  for (const name of names) {
    const archive = archives[name];
    const reference = `${registryHost}/${IMAGE_REPOSITORY_PREFIX}/${name}:${imageKey(archive)}`;
    await runCommand(
      'skopeo',
      ['copy', '--quiet', '--dest-tls-verify=false', `oci-archive:${archive}`, `docker://${reference}`],
      { timeoutMs: 300_000 },
    );
    references[name] = reference;
  }
  return references;
}
