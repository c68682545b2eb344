/**
 * Image references as users write them (`nginx`, `quay.io/argoproj/argocd:v2.13.1`, `host:5000/a/b@sha256:...`),
 * normalised the way Docker and skopeo read them: a name without a registry host is Docker Hub's, and a
 * one-segment Docker Hub name lives under `library/`.
 */
import { ImageGitopsError } from '../core/errors.js';
import { isRegistryHost } from './limits.js';

export const DOCKER_HUB = 'docker.io';
/** The host that serves Docker Hub's registry API (docker.io itself only redirects). */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export interface ImageReference {
  /** Normalised registry host, with port when given: `docker.io`, `quay.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/nginx`, `argoproj/argocd`. */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` */
  digest?: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** The aliases Docker clients and auth files use for Docker Hub, all read as `docker.io`. */
export function normaliseRegistryHost(host: string): string {
  const bare = host
    .replace(/^https?:\/\//, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  if (bare === 'index.docker.io' || bare === 'registry-1.docker.io' || bare === 'registry.hub.docker.com') {
    return DOCKER_HUB;
  }
  return bare;
}

/** The host to send registry API calls to. */
export function registryApiHost(registry: string): string {
  return normaliseRegistryHost(registry) === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Parses a reference; throws INVALID_SPEC with a message naming the reference when it cannot be read. */
export function parseImageReference(text: string): ImageReference {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(text, `"${digest}" is not a sha256 digest`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) throw invalid(text, `"${tag}" is not a valid tag`);
  }
  const segments = rest.split('/');
  let registry = DOCKER_HUB;
  if (segments.length > 1 && looksLikeHost(segments[0] ?? '')) {
    const host = segments.shift() ?? '';
    if (!isRegistryHost(host))
      throw invalid(
        text,
        `"${host}" is not a registry host (letters, digits, dots, dashes and a :port only)`,
      );
    registry = normaliseRegistryHost(host);
  }
  let repository = segments.join('/');
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) throw invalid(text, `"${repository}" is not a valid repository path`);
  const reference: ImageReference = { registry, repository };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

function invalid(text: string, why: string): ImageGitopsError {
  return new ImageGitopsError('INVALID_SPEC', `image reference ${JSON.stringify(text)}: ${why}`);
}

/** `registry/repository` without tag or digest. */
export function repositoryName(reference: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${reference.registry}/${reference.repository}`;
}

/** `registry/repository[:tag][@digest]` as skopeo's `docker://` transport reads it. */
export function formatImageReference(reference: ImageReference): string {
  let text = repositoryName(reference);
  if (reference.tag) text += `:${reference.tag}`;
  if (reference.digest) text += `@${reference.digest}`;
  return text;
}
