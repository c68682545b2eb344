/**
 * Names of backup copies, pure. `nested` (default) is image-clone-controller's scheme:
 * `nginx` → `<backup>/index_docker_io/library/nginx:latest`, `nginx@sha256:ab..` → `...:sha256_ab..`,
 * `ghcr.io/a/b:v1` → `<backup>/ghcr_io/a/b:v1`, `127.0.0.1:5000/a:1` → `<backup>/127_0_0_1_5000/a:1`.
 * `flat` is for registries that hold one repository level under an organisation (Docker Hub, quay.io
 * organisations without nested repositories): the same parts joined by `_` into one repository,
 * `nginx` → `<backup>/index_docker_io_library_nginx:latest`, `ghcr.io/a/b:v1` → `<backup>/ghcr_io_a_b:v1`.
 */
import { ImageGitopsError } from '../../core/errors.js';
import { type CopyPair, digestTag } from '../../registry/copy-pair.js';
import {
  DOCKER_HUB,
  formatImageReference,
  type ImageReference,
  parseImageReference,
} from '../../registry/references.js';

export type BackupNaming = 'nested' | 'flat';

/** Where copies go and how they are named: an ImageBackup spec, or the record of a rewrite. */
export interface BackupTarget {
  backupRegistry: string;
  naming?: BackupNaming;
}

/** A bare string is a backup registry with the default (nested) naming. */
function targetOf(target: string | BackupTarget): Required<BackupTarget> {
  return typeof target === 'string'
    ? { backupRegistry: target, naming: 'nested' }
    : { backupRegistry: target.backupRegistry, naming: target.naming ?? 'nested' };
}

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

/**
 * The backup copy of an image: `<backup>/<registry_segment>/<repository>:<tag or sha256_hex>` (nested), or
 * `<backup>/<registry_segment>_<repository with / as _>:<tag or sha256_hex>` (flat).
 */
export function backupReference(target: string | BackupTarget, image: string): ImageReference {
  const { backupRegistry, naming } = targetOf(target);
  const source = canonicalImage(image);
  const backup = parseBackupRegistry(backupRegistry);
  const prefix = backup.path ? `${backup.path}/` : '';
  const segment = registryPathSegment(source.registry);
  const repository =
    naming === 'flat'
      ? `${segment}_${source.repository.replaceAll('/', '_')}`
      : `${segment}/${source.repository}`;
  return {
    registry: backup.registry,
    repository: `${prefix}${repository}`,
    tag: source.digest ? digestTag(source.digest) : (source.tag ?? 'latest'),
  };
}

/** The backup copy's name as a string, e.g. `registry.example.com/backup/index_docker_io/library/nginx:latest`. */
export function backupImageName(target: string | BackupTarget, image: string): string {
  return formatImageReference(backupReference(target, image));
}

/** True for images that already live in the backup registry (under its path): never backed up again. */
export function isInBackupRegistry(target: string | BackupTarget, image: string): boolean {
  const backup = parseBackupRegistry(targetOf(target).backupRegistry);
  const { registry, repository } = parseImageReference(image);
  return registry === backup.registry && (!backup.path || repository.startsWith(`${backup.path}/`));
}

/**
 * What a rewritten workload pulls: the backup name; a digest-pinned original stays pinned
 * (`<backup>/...:sha256_<hex>@sha256:<hex>`), the copy having the same digest.
 */
export function rewrittenImage(target: string | BackupTarget, image: string): string {
  const source = canonicalImage(image);
  const name = backupImageName(target, image);
  return source.digest ? `${name}@${source.digest}` : name;
}

/** The copy of one image, for ImageSync's copy machinery: refs are canonical source references. */
export function backupCopyPair(target: string | BackupTarget, sourceRef: string): CopyPair {
  return {
    sourceRef,
    source: canonicalImage(sourceRef),
    destination: backupReference(target, sourceRef),
  };
}
