/**
 * image-clone-controller's naming scheme for backup copies, pure:
 * `nginx` → `<backup>/index_docker_io/library/nginx:latest`, `nginx@sha256:ab..` → `...:sha256_ab..`,
 * `ghcr.io/a/b:v1` → `<backup>/ghcr_io/a/b:v1`, `127.0.0.1:5000/a:1` → `<backup>/127_0_0_1_5000/a:1`.
 */
import { ImageGitopsError } from '../../core/errors.js';
import {
  DOCKER_HUB,
  formatImageReference,
  type ImageReference,
  parseImageReference,
} from '../../registry/references.js';
import { type CopyPair, digestTag } from '../image-sync/naming.js';

/** `docker.io` → `index_docker_io` (its canonical API name), `ghcr.io` → `ghcr_io`, `host:5000` → `host_5000`. */
export function registryPathSegment(registry: string): string {
  const host = registry === DOCKER_HUB ? 'index.docker.io' : registry;
  return host.replace(/[.:]/g, '_');
}

/**
 * The reference a workload's image is pulled by, normalised: Docker Hub names completed, `latest` when no
 * tag, and a digest winning over a tag (as the runtime pulls it; skopeo refuses both at once).
 */
export function canonicalImage(image: string): ImageReference {
  const parsed = parseImageReference(image);
  const { registry, repository } = parsed;
  return parsed.digest
    ? { registry, repository, digest: parsed.digest }
    : { registry, repository, tag: parsed.tag ?? 'latest' };
}

/** The backup registry's host and path prefix; INVALID_SPEC when it is not `host[:port][/path]`. */
export function parseBackupRegistry(backupRegistry: string): { registry: string; path: string } {
  const text = backupRegistry.trim().replace(/\/+$/, '');
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const path = slash < 0 ? '' : text.slice(slash + 1);
  const invalid = () =>
    new ImageGitopsError(
      'INVALID_SPEC',
      `backupRegistry "${backupRegistry}" must be a registry host with an optional path, e.g. registry.example.com/backup`,
    );
  if (
    !/^[a-zA-Z0-9.-]+(:\d+)?$/.test(host) ||
    !(host.includes('.') || host.includes(':') || host === 'localhost')
  )
    throw invalid();
  let parsed: ImageReference;
  try {
    parsed = parseImageReference(`${host}/${path ? `${path}/` : ''}x`);
  } catch {
    throw invalid();
  }
  if (parsed.tag || parsed.digest) throw invalid();
  return { registry: parsed.registry, path };
}

/** The backup copy of an image: `<backup>/<registry_segment>/<repository>:<tag or sha256_hex>`. */
export function backupReference(backupRegistry: string, image: string): ImageReference {
  const source = canonicalImage(image);
  const backup = parseBackupRegistry(backupRegistry);
  const prefix = backup.path ? `${backup.path}/` : '';
  return {
    registry: backup.registry,
    repository: `${prefix}${registryPathSegment(source.registry)}/${source.repository}`,
    tag: source.digest ? digestTag(source.digest) : (source.tag ?? 'latest'),
  };
}

/** The backup copy's name as a string, e.g. `registry.example.com/backup/index_docker_io/library/nginx:latest`. */
export function backupImageName(backupRegistry: string, image: string): string {
  return formatImageReference(backupReference(backupRegistry, image));
}

/** True for images that already live in the backup registry (under its path): never backed up again. */
export function isInBackupRegistry(backupRegistry: string, image: string): boolean {
  const backup = parseBackupRegistry(backupRegistry);
  const { registry, repository } = parseImageReference(image);
  return registry === backup.registry && (!backup.path || repository.startsWith(`${backup.path}/`));
}

/**
 * What a rewritten workload pulls: the backup name; a digest-pinned original stays pinned
 * (`<backup>/...:sha256_<hex>@sha256:<hex>`), the copy having the same digest.
 */
export function rewrittenImage(backupRegistry: string, image: string): string {
  const source = canonicalImage(image);
  const name = backupImageName(backupRegistry, image);
  return source.digest ? `${name}@${source.digest}` : name;
}

/** The copy of one image, for ImageSync's copy machinery: refs are canonical source references. */
export function backupCopyPair(backupRegistry: string, sourceRef: string): CopyPair {
  return {
    sourceRef,
    source: canonicalImage(sourceRef),
    destination: backupReference(backupRegistry, sourceRef),
  };
}
