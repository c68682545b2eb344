// OCI test images written by hand (no internet, no base image): one gzip tar layer, a config per
// architecture, manifests, an image index for multi-arch, `index.json` and `oci-layout`, blobs by sha256.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type TarEntry, type TarStamp, writeTar } from '../../src/core/tar.js';
import { runCommand } from './processes.js';
import type { TestRegistry } from './registry.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Docker's image manifest v2 schema 2 and manifest list: what Docker Hub serves. */
export const DOCKER_MEDIA_TYPES = {
  index: 'application/vnd.docker.distribution.manifest.list.v2+json',
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export type ImageFile = string | Buffer | { content: string | Buffer; mode?: number } | { symlink: string };

export interface TestImageOptions {
  /** Default `['amd64']`; two or more give an image index with one manifest per architecture. */
  architectures?: string[];
  /** Files by absolute path in the image, e.g. `{ '/etc/app.conf': 'x=1' }`. */
  files?: Record<string, ImageFile>;
  /** Adds the static `/bin/busybox` of busybox-static and `/bin/sh -> busybox`, so `RUN` steps work. */
  withBusybox?: boolean;
  /** Written to `/etc/test-image-marker`; defaults to the tag, so two tags have different digests. */
  marker?: string;
  /** The image's command (default `/bin/sh`), e.g. a long sleep for an image that runs in a pod. */
  cmd?: string[];
  /**
   * `oci` (default): OCI manifests and image index. `docker`: Docker schema 2 manifests and, multi-arch, a
   * manifest list, with Docker's config and layer media types (as Docker Hub serves images).
   */
  format?: 'oci' | 'docker';
}

export interface WriteOciLayoutOptions extends TestImageOptions {
  tag: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface OciLayoutResult {
  dir: string;
  tag: string;
  /** Digest of the top-level manifest (single arch) or image index (multi-arch). */
  digest: string;
  mediaType: string;
}

function writeBlob(dir: string, content: Buffer, mediaType: string): Descriptor {
  const hex = createHash('sha256').update(content).digest('hex');
  const blobDir = join(dir, 'blobs', 'sha256');
  mkdirSync(blobDir, { recursive: true });
  writeFileSync(join(blobDir, hex), content);
  return { mediaType, digest: `sha256:${hex}`, size: content.length };
}

function jsonBlob(dir: string, value: unknown, mediaType: string): Descriptor {
  return writeBlob(dir, Buffer.from(JSON.stringify(value)), mediaType);
}

/** Every layer's entries: 2024-01-01T00:00:00Z, owned by root, so the same files give the same digest. */
const LAYER_STAMP: TarStamp = { mtime: new Date('2024-01-01T00:00:00Z'), owner: 'root' };

/** Tar entries for the files, with their parent folders first. */
export function layerEntries(options: TestImageOptions, tag: string): TarEntry[] {
  const files: Record<string, ImageFile> = { ...options.files };
  files['/etc/test-image-marker'] = `${options.marker ?? tag}\n`;
  if (options.withBusybox) {
    files['/bin/busybox'] = { content: readFileSync('/bin/busybox'), mode: 0o755 };
    files['/bin/sh'] = { symlink: 'busybox' };
  }
  const dirs = new Set<string>();
  const leaves: TarEntry[] = [];
  for (const [rawPath, file] of Object.entries(files)) {
    const path = rawPath.replace(/^\/+/, '');
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) dirs.add(segments.slice(0, i).join('/'));
    if (typeof file === 'string' || Buffer.isBuffer(file)) {
      leaves.push({ type: 'file', path, content: Buffer.from(file) });
    } else if ('symlink' in file) {
      leaves.push({ type: 'symlink', path, target: file.symlink });
    } else {
      leaves.push({ type: 'file', path, content: Buffer.from(file.content), mode: file.mode });
    }
  }
  const dirEntries: TarEntry[] = [...dirs].sort().map((path) => ({ type: 'directory', path }));
  return [...dirEntries, ...leaves.sort((a, b) => a.path.localeCompare(b.path))];
}

/** The image configuration, the same in both formats (only its media type differs). */
function imageConfig(options: TestImageOptions, tag: string, architecture: string, diffId: string) {
  return {
    created: '2024-01-01T00:00:00Z',
    architecture,
    os: 'linux',
    config: {
      Env: ['PATH=/bin'],
      Cmd: options.cmd ?? ['/bin/sh'],
      Labels: { 'test.image/marker': options.marker ?? tag },
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'test/support/oci-image.ts' }],
  };
}

function readIndex(dir: string): { schemaVersion: number; manifests: Descriptor[] } {
  const file = join(dir, 'index.json');
  if (!existsSync(file)) return { schemaVersion: 2, manifests: [] };
  return JSON.parse(readFileSync(file, 'utf8')) as { schemaVersion: number; manifests: Descriptor[] };
}

/** Writes (or adds a tag to) an OCI image layout in `dir`, usable as `oci:<dir>:<tag>`. */
export function writeOciLayout(dir: string, options: WriteOciLayoutOptions): OciLayoutResult {
  const { tag } = options;
  const architectures = options.architectures ?? ['amd64'];
  if (architectures.length === 0) throw new Error('writeOciLayout: at least one architecture');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const tar = writeTar(layerEntries(options, tag), LAYER_STAMP);
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const layer = writeBlob(dir, gzipSync(tar, { level: 6 }), MEDIA_TYPES.layer);

  const manifests = architectures.map((architecture) => {
    const config = jsonBlob(dir, imageConfig(options, tag, architecture, diffId), MEDIA_TYPES.config);
    const manifest = jsonBlob(
      dir,
      { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers: [layer] },
      MEDIA_TYPES.manifest,
    );
    return { ...manifest, platform: { architecture, os: 'linux' } };
  });

  const top: Descriptor =
    manifests.length === 1
      ? { mediaType: MEDIA_TYPES.manifest, digest: manifests[0]!.digest, size: manifests[0]!.size }
      : jsonBlob(dir, { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests }, MEDIA_TYPES.index);

  const refName = 'org.opencontainers.image.ref.name';
  const index = readIndex(dir);
  index.manifests = index.manifests.filter((m) => m.annotations?.[refName] !== tag);
  index.manifests.push({ ...top, annotations: { [refName]: tag } });
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: index.manifests }),
  );
  return { dir, tag, digest: top.digest, mediaType: top.mediaType };
}

/**
 * Writes the image in Docker's format as skopeo's `dir:` transport reads it (`dir:<dir>`): `manifest.json`
 * (a schema 2 manifest, or a manifest list for two or more architectures), `<hex>.manifest.json` per
 * architecture of a list, blobs named by their sha256 hex. skopeo's `oci:` transport only finds OCI-typed
 * descriptors in an `index.json`, hence this layout.
 */
export function writeDockerDir(dir: string, options: WriteOciLayoutOptions): OciLayoutResult {
  const { tag } = options;
  const architectures = options.architectures ?? ['amd64'];
  if (architectures.length === 0) throw new Error('writeDockerDir: at least one architecture');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'version'), 'Directory Transport Version: 1.1\n');
  const blob = (content: Buffer, mediaType: string): Descriptor => {
    const hex = createHash('sha256').update(content).digest('hex');
    writeFileSync(join(dir, hex), content);
    return { mediaType, digest: `sha256:${hex}`, size: content.length };
  };
  const tar = writeTar(layerEntries(options, tag), LAYER_STAMP);
  const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const layer = blob(gzipSync(tar, { level: 6 }), DOCKER_MEDIA_TYPES.layer);
  const manifests = architectures.map((architecture) => {
    const config = blob(
      Buffer.from(JSON.stringify(imageConfig(options, tag, architecture, diffId))),
      DOCKER_MEDIA_TYPES.config,
    );
    const content = Buffer.from(
      JSON.stringify(
        { schemaVersion: 2, mediaType: DOCKER_MEDIA_TYPES.manifest, config, layers: [layer] },
        null,
        3,
      ),
    );
    const hex = createHash('sha256').update(content).digest('hex');
    return {
      content,
      hex,
      descriptor: {
        mediaType: DOCKER_MEDIA_TYPES.manifest,
        digest: `sha256:${hex}`,
        size: content.length,
        platform: { architecture, os: 'linux' },
      },
    };
  });
  if (manifests.length === 1) {
    writeFileSync(join(dir, 'manifest.json'), manifests[0]!.content);
    return { dir, tag, digest: manifests[0]!.descriptor.digest, mediaType: DOCKER_MEDIA_TYPES.manifest };
  }
  for (const m of manifests) writeFileSync(join(dir, `${m.hex}.manifest.json`), m.content);
  const list = Buffer.from(
    JSON.stringify(
      {
        schemaVersion: 2,
        mediaType: DOCKER_MEDIA_TYPES.index,
        manifests: manifests.map((m) => m.descriptor),
      },
      null,
      3,
    ),
  );
  writeFileSync(join(dir, 'manifest.json'), list);
  const digest = `sha256:${createHash('sha256').update(list).digest('hex')}`;
  return { dir, tag, digest, mediaType: DOCKER_MEDIA_TYPES.index };
}

/**
 * `skopeo sync --all` of a whole repository of a test registry into `<destination>/<prefix>` (as `<prefix>/<name>`),
 * both plain HTTP: the baseline the benchmarks compare ImageSync with, and how tests fill a destination.
 */
export function skopeoSyncArgs(
  source: TestRegistry,
  repository: string,
  destination: TestRegistry,
  prefix: string,
): string[] {
  return [
    'sync',
    '--all',
    '--src',
    'docker',
    '--dest',
    'docker',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `${source.host}/${repository}`,
    `${destination.host}/${prefix}`,
  ];
}

/** skopeo flags to reach a test registry as source (`src`) or destination (`dest`). */
export function skopeoRegistryFlags(registry: TestRegistry, side: 'src' | 'dest'): string[] {
  const flags = registry.certDir ? [`--${side}-cert-dir`, registry.certDir] : [`--${side}-tls-verify=false`];
  if (registry.auth) flags.push(`--${side}-creds`, `${registry.auth.username}:${registry.auth.password}`);
  return flags;
}

/**
 * Writes a test image and pushes it with `skopeo copy --all` to `<registry>/<repo>:<tag>`; returns the
 * digest as pushed (equal to the layout's: `--preserve-digests`).
 */
export async function pushTestImage(
  registry: TestRegistry,
  repo: string,
  tag: string,
  options: TestImageOptions = {},
): Promise<string> {
  const dir = makeTempDir('oci-layout');
  try {
    const docker = options.format === 'docker';
    if (docker) writeDockerDir(dir, { ...options, tag });
    else writeOciLayout(dir, { ...options, tag });
    const digestFile = join(dir, 'pushed.digest');
    await runCommand('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      '--retry-times',
      '2',
      '--digestfile',
      digestFile,
      ...skopeoRegistryFlags(registry, 'dest'),
      docker ? `dir:${dir}` : `oci:${dir}:${tag}`,
      `docker://${registry.host}/${repo}:${tag}`,
    ]);
    return readFileSync(digestFile, 'utf8').trim();
  } finally {
    removeTempDir(dir);
  }
}
