// Runs pushed images on this machine without a kubelet: `buildah from docker://…` into a storage of the test
// bench (never the machine's default storage), then `buildah run --isolation chroot` with the command, user,
// environment and mounts a pod would give. Host network: servers inside listen on the host.
//
// The storage lives in the image cache folder across runs, so that a later run pulls only the layers it does
// not have yet (the Debian and Node layers stay; a reconciler built from a changed src/ brings one new
// layer). It uses overlayfs when the kernel allows it here (a container is then ready at once; vfs copies
// the whole image for each), vfs otherwise. Containers are named after this process and removed by
// `remove()`, which also drops the images this run did not use (those another run's containers hold stay).
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, runCommand, spawnTracked, stopTracked } from '../support/processes.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';
import { IMAGE_REPOSITORY_PREFIX, imagesCacheDir } from './images.js';

export interface ImageConfig {
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
}

export interface RunOptions {
  /** `uid:gid`; the image's user when absent. */
  user?: string;
  env?: Record<string, string>;
  /** host path → path in the container (`:ro` suffix allowed on the container path). */
  mounts?: Record<string, string>;
  /** Extra capabilities, e.g. `CAP_SYS_ADMIN`. */
  capAdd?: string[];
  timeoutMs?: number;
}

export interface LocalImages {
  /** A working container of `reference` (pulled without TLS verification), one per reference and run. */
  container(reference: string): Promise<string>;
  /** The image's config (after `container` pulled it). */
  config(reference: string): Promise<ImageConfig>;
  run(
    container: string,
    argv: readonly string[],
    options?: RunOptions,
  ): Promise<{ stdout: string; stderr: string }>;
  /** A long-running process; `stop` kills it (SIGKILL) with everything it started. */
  spawn(
    container: string,
    argv: readonly string[],
    options?: RunOptions,
  ): { child: ChildProcess; output(): string };
  stop(child: ChildProcess): Promise<void>;
  /** Stops what was spawned, removes this run's containers and the images no run uses. */
  remove(): Promise<void>;
}

interface StoredImage {
  id: string;
  names: string[] | null;
}
interface StoredContainer {
  containername: string;
}

/** `<host>/image-gitops-test/<name>:<key>` → `localhost/image-gitops-test/<name>:<key>`, the name kept. */
function localName(reference: string): string {
  const path = reference.slice(reference.indexOf('/') + 1);
  return `localhost/${path.startsWith(`${IMAGE_REPOSITORY_PREFIX}/`) ? path : `${IMAGE_REPOSITORY_PREFIX}/${path}`}`;
}

function storageConf(dir: string, driver: string): string {
  return `[storage]\ndriver = "${driver}"\ngraphroot = "${join(dir, 'graph')}"\nrunroot = "${join(dir, 'run')}"\n`;
}

export async function localImages(options: { storageDir?: string } = {}): Promise<LocalImages> {
  const root = options.storageDir ?? join(imagesCacheDir(), 'run-storage');
  // overlayfs where it works (not over another overlayfs, for one), else vfs; each in a folder of its own.
  let storageConfPath = '';
  for (const driver of ['overlay', 'vfs']) {
    const dir = join(root, driver);
    mkdirSync(dir, { recursive: true });
    storageConfPath = join(dir, 'storage.conf');
    writeFileSync(storageConfPath, storageConf(dir, driver));
    const probe = await runCommand('buildah', ['images', '--json'], {
      env: { ...process.env, CONTAINERS_STORAGE_CONF: storageConfPath },
    }).then(
      () => true,
      () => false,
    );
    if (probe) break;
  }
  const confDir = makeTempDir('local-images');
  const registriesConf = join(confDir, 'registries.conf');
  writeFileSync(registriesConf, 'unqualified-search-registries = []\n');
  const env = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: storageConfPath,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
  };
  const buildah = (args: string[], timeoutMs = 300_000) => runCommand('buildah', args, { env, timeoutMs });
  const json = async <T>(args: string[]): Promise<T[]> =>
    (JSON.parse((await buildah(args)).stdout) as T[] | null) ?? [];

  // Containers of runs that died without removing them.
  const prefix = 'image-gitops-run-';
  for (const { containername } of await json<StoredContainer>(['containers', '--json'])) {
    const pid = Number(/^image-gitops-run-(\d+)-/.exec(containername)?.[1]);
    if (pid && pid !== process.pid && !isAlive(pid))
      await buildah(['rm', containername]).catch(() => undefined);
  }

  // buildah run answers SIGTERM with SIGKILL to the process it runs, and chroot isolation has no PID
  // namespace: that process's children would live on. Each run is the first process of a PID namespace of
  // its own instead, so that everything in it dies with it (unshare ignores SIGTERM: stop it with SIGKILL).
  function runArgs(container: string, argv: readonly string[], options: RunOptions): string[] {
    const args = ['--pid', '--fork', '--kill-child', 'buildah', 'run', '--isolation', 'chroot'];
    if (options.user) args.push('--user', options.user);
    for (const cap of options.capAdd ?? []) args.push('--cap-add', cap);
    for (const [name, value] of Object.entries(options.env ?? {})) args.push('--env', `${name}=${value}`);
    for (const [host, path] of Object.entries(options.mounts ?? {})) args.push('--volume', `${host}:${path}`);
    return [...args, container, '--', ...argv];
  }

  const containers = new Map<string, Promise<string>>();
  const spawned = new Set<ChildProcess>();
  let count = 0;
  return {
    container(reference) {
      let container = containers.get(reference);
      if (!container) {
        const name = `${prefix}${process.pid}-${++count}`;
        container = buildah([
          'from',
          '--quiet',
          '--name',
          name,
          '--tls-verify=false',
          `docker://${reference}`,
        ]).then(async () => {
          // The same name in every run, whatever the registry's port: later runs find the image by it.
          await buildah(['tag', reference, localName(reference)]);
          return name;
        });
        containers.set(reference, container);
      }
      return container;
    },
    async config(reference) {
      const { stdout } = await buildah(['inspect', '--type', 'image', reference]);
      return (JSON.parse(stdout) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
    },
    run(container, argv, options = {}) {
      return runCommand('unshare', runArgs(container, argv, options), {
        env,
        timeoutMs: options.timeoutMs ?? 300_000,
      });
    },
    spawn(container, argv, options = {}) {
      const child = spawnTracked('unshare', runArgs(container, argv, options), { env });
      spawned.add(child);
      const output: string[] = [];
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
      return { child, output: () => output.join('') };
    },
    async stop(child) {
      await stopTracked(child, { graceMs: 0 });
      spawned.delete(child);
    },
    async remove() {
      for (const child of spawned) await stopTracked(child, { graceMs: 0 });
      spawned.clear();
      const used = new Set<string>();
      for (const [reference, container] of containers) {
        const name = await container.catch(() => undefined);
        if (name) await buildah(['rm', name]).catch(() => undefined);
        // Untags the registry-specific name; the image stays under its local name.
        await buildah(['rmi', reference]).catch(() => undefined);
        used.add(localName(reference));
      }
      containers.clear();
      // Older keys go; an image another run's container holds cannot be removed and stays.
      for (const image of await json<StoredImage>(['images', '--json'])) {
        if (!(image.names ?? []).some((name) => used.has(name))) {
          await buildah(['rmi', image.id]).catch(() => undefined);
        }
      }
      removeTempDir(confDir);
    },
  };
}
