/**
 * A small client for the registry HTTP API (distribution spec): tag lists with `Link` pagination and manifest
 * digests by HEAD with the four manifest Accept types (without the OCI ones OCI images answer 404; without the
 * Docker v2 ones Docker images are converted to schema1 with another digest).
 *
 * Auth: a 401 with `WWW-Authenticate: Basic` is answered with the registry's credential; a 401 with
 * `Bearer realm=...,service=...,scope=...` (Docker Hub, GHCR, Quay, Harbor) fetches a token from the realm
 * (with basic credentials when there are any, anonymously otherwise) and retries. 429/503 are retried a
 * bounded number of times after `Retry-After` (seconds or HTTP date), capped.
 * TLS per registry: verified by default, an extra CA, or `tlsVerify: false` which, like skopeo, also falls
 * back to plain HTTP when the port does not speak TLS.
 */
import { createHash } from 'node:crypto';
import { ImageGitopsError } from '../core/errors.js';
import type { RegistryCredential } from './credentials.js';
import { type HttpResponse, httpRequest, isTlsHandshakeFailure } from './http.js';
import { type ImageReference, normaliseRegistryHost, registryApiHost } from './references.js';

export const MANIFEST_MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export const MANIFEST_ACCEPT = Object.values(MANIFEST_MEDIA_TYPES).join(', ');

/** How to reach one registry. */
export interface RegistryAccess {
  credential?: RegistryCredential;
  /** Default true. */
  tlsVerify?: boolean;
  /** PEM CA to trust for this registry. */
  ca?: string;
}

export interface RegistryClientOptions {
  /** Access settings by normalised registry host (`docker.io`, `127.0.0.1:5000`). */
  access?: (registry: string) => RegistryAccess | undefined;
  /** Retries after 429/503; default 3. */
  maxRetries?: number;
  /** Longest wait honoured from a Retry-After; default 60 s. */
  maxRetryDelayMs?: number;
  /** Wait when a 429 has no Retry-After; default 1 s. */
  defaultRetryDelayMs?: number;
  timeoutMs?: number;
  /** Tags per page asked with `?n=` (the registry may answer fewer); the registry's default when absent. */
  tagPageSize?: number;
  signal?: AbortSignal;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  body: unknown;
}

export class RegistryError extends ImageGitopsError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('REGISTRY', message, undefined, options);
    this.name = 'RegistryError';
    this.status = status;
  }
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://auth",service="x",scope="repository:a:pull"` (first challenge only). */
export function parseWwwAuthenticate(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const re = /(\w+)=(?:"([^"]*)"|([^,\s]*))/g;
  for (let m = re.exec(match[2] ?? ''); m; m = re.exec(match[2] ?? '')) {
    params[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

/** Milliseconds to wait from a Retry-After header (delta seconds or HTTP date). */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `next` target of a `Link: </v2/x/tags/list?last=y&n=100>; rel="next"` header. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  const match = text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text) : null;
  return match?.[1];
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface HostState {
  scheme: 'https' | 'http';
  basic: boolean;
  /** Bearer tokens by scope, with their expiry. */
  tokens: Map<string, { token: string; expires: number }>;
}

export class RegistryClient {
  private readonly hosts = new Map<string, HostState>();
  private readonly options: RegistryClientOptions;

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
  }

  /** Every tag of the repository, following `Link` pagination; undefined when the repository is unknown. */
  async listTags(image: Pick<ImageReference, 'registry' | 'repository'>): Promise<string[] | undefined> {
    const tags: string[] = [];
    const size = this.options.tagPageSize;
    let path: string | undefined = `/v2/${image.repository}/tags/list${size ? `?n=${size}` : ''}`;
    for (let page = 0; path; page++) {
      if (page > 10_000)
        throw new RegistryError(`${image.registry}/${image.repository}: endless tag pagination`);
      const res = await this.send(image, 'GET', path, { Accept: 'application/json' });
      if (res.status === 404) return page === 0 ? undefined : tags;
      this.expectOk(res, `list tags of ${image.registry}/${image.repository}`);
      const parsed = JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null };
      tags.push(...(parsed.tags ?? []));
      path = nextLink(res.headers.link);
    }
    return tags;
  }

  /** The manifest digest of a tag or digest (HEAD); undefined when there is no such manifest. */
  async manifestDigest(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    reference: string,
  ): Promise<string | undefined> {
    const res = await this.send(image, 'HEAD', `/v2/${image.repository}/manifests/${reference}`, {
      Accept: MANIFEST_ACCEPT,
    });
    if (res.status === 404) return undefined;
    this.expectOk(res, `HEAD ${image.registry}/${image.repository}:${reference}`);
    const digest = headerText(res.headers['docker-content-digest']);
    if (digest) return digest;
    // Some registries omit the header on HEAD: the GET body's sha256 is the digest.
    return (await this.getManifest(image, reference))?.digest;
  }

  async getManifest(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    reference: string,
  ): Promise<ManifestInfo | undefined> {
    const res = await this.send(image, 'GET', `/v2/${image.repository}/manifests/${reference}`, {
      Accept: MANIFEST_ACCEPT,
    });
    if (res.status === 404) return undefined;
    this.expectOk(res, `GET ${image.registry}/${image.repository}:${reference}`);
    const digest =
      headerText(res.headers['docker-content-digest']) ??
      `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
    const body = JSON.parse(res.body.toString('utf8')) as { mediaType?: string };
    const mediaType = headerText(res.headers['content-type'])?.split(';')[0] ?? body.mediaType ?? '';
    return { digest, mediaType, body };
  }

  /**
   * The digest skopeo ends up with when it copies one platform: the matching child of an index, or the
   * manifest itself when it is not an index. Undefined when missing or when no child matches.
   */
  async platformDigest(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    reference: string,
    platform: Platform,
  ): Promise<string | undefined> {
    const manifest = await this.getManifest(image, reference);
    if (!manifest) return undefined;
    const children = (manifest.body as { manifests?: Array<{ digest: string; platform?: Platform }> })
      .manifests;
    if (!children) return manifest.digest;
    const child = children.find(
      (m) =>
        m.platform?.os === platform.os &&
        m.platform?.architecture === platform.architecture &&
        (!platform.variant || m.platform?.variant === platform.variant),
    );
    return child?.digest;
  }

  private expectOk(res: HttpResponse, what: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const detail = res.body.toString('utf8').slice(0, 300).trim();
    const hint =
      res.status === 401 || res.status === 403
        ? ' (check the credentials Secret of this registry)'
        : res.status === 429
          ? ' (rate limited; retries exhausted)'
          : '';
    throw new RegistryError(`${what}: HTTP ${res.status}${hint}${detail ? `: ${detail}` : ''}`, res.status);
  }

  private access(registry: string): RegistryAccess {
    return this.options.access?.(normaliseRegistryHost(registry)) ?? {};
  }

  private state(registry: string): HostState {
    let state = this.hosts.get(registry);
    if (!state) {
      state = { scheme: 'https', basic: false, tokens: new Map() };
      this.hosts.set(registry, state);
    }
    return state;
  }

  /** One API call with auth, retries and the plain-HTTP fallback. */
  private async send(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<HttpResponse> {
    const registry = normaliseRegistryHost(image.registry);
    const access = this.access(registry);
    const state = this.state(registry);
    const defaultScope = `repository:${image.repository}:pull`;
    let authRetried = false;
    let rateRetries = 0;
    for (;;) {
      const auth = this.authorization(state, access, defaultScope);
      const res = await this.raw(registry, state, access, method, path, { ...headers, ...auth });
      if (res.status === 401 && !authRetried) {
        authRetried = true;
        if (await this.answerChallenge(res, state, access, defaultScope, auth.Authorization)) continue;
        return res;
      }
      if ((res.status === 429 || res.status === 503) && rateRetries < (this.options.maxRetries ?? 3)) {
        rateRetries++;
        const wait = Math.min(
          retryAfterMs(headerText(res.headers['retry-after'])) ?? this.options.defaultRetryDelayMs ?? 1000,
          this.options.maxRetryDelayMs ?? 60_000,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      return res;
    }
  }

  private authorization(state: HostState, access: RegistryAccess, scope: string): Record<string, string> {
    const token = state.tokens.get(scope);
    if (token && token.expires > Date.now()) return { Authorization: `Bearer ${token.token}` };
    if (state.basic && access.credential) return { Authorization: basicHeader(access.credential) };
    return {};
  }

  /** Learns how to authenticate from a 401; false when there is nothing more to try. */
  private async answerChallenge(
    res: HttpResponse,
    state: HostState,
    access: RegistryAccess,
    defaultScope: string,
    sent: string | undefined,
  ): Promise<boolean> {
    const challenge = parseWwwAuthenticate(headerText(res.headers['www-authenticate']) ?? '');
    if (challenge?.scheme === 'basic') {
      // Refused although credentials were sent: retrying cannot help.
      if (!access.credential || sent?.startsWith('Basic ')) return false;
      state.basic = true;
      return true;
    }
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const cached = state.tokens.get(defaultScope);
      // A concurrent call fetched a token meanwhile: use it.
      if (cached && cached.expires > Date.now() && sent !== `Bearer ${cached.token}`) return true;
      const scope = challenge.params.scope || defaultScope;
      const token = await this.fetchToken(challenge.params, scope, access);
      state.tokens.set(defaultScope, token);
      return true;
    }
    return false;
  }

  private async fetchToken(
    params: Record<string, string>,
    scope: string,
    access: RegistryAccess,
  ): Promise<{ token: string; expires: number }> {
    const url = new URL(params.realm ?? '');
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const realmAccess = this.access(url.host);
    const headers: Record<string, string> = {};
    if (access.credential) headers.Authorization = basicHeader(access.credential);
    let res: HttpResponse;
    try {
      res = await httpRequest(url, {
        method: 'GET',
        headers,
        tlsVerify: realmAccess.tlsVerify,
        ca: realmAccess.ca,
        timeoutMs: this.options.timeoutMs,
        signal: this.options.signal,
      });
    } catch (error) {
      throw new RegistryError(
        `token endpoint ${url.origin}${url.pathname}: ${(error as Error).message}`,
        undefined,
        {
          cause: error,
        },
      );
    }
    if (res.status !== 200) {
      throw new RegistryError(
        `token endpoint ${url.origin}${url.pathname} answered HTTP ${res.status} for scope ${scope}` +
          (access.credential ? ' (check the credentials Secret)' : ' (no credentials configured)'),
        res.status,
      );
    }
    const body = JSON.parse(res.body.toString('utf8')) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token endpoint ${url.origin}${url.pathname} returned no token`);
    // Renew a little early; the spec's default lifetime is 60 s.
    return { token, expires: Date.now() + Math.max(10, (body.expires_in ?? 60) - 5) * 1000 };
  }

  private async raw(
    registry: string,
    state: HostState,
    access: RegistryAccess,
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<HttpResponse> {
    const host = registryApiHost(registry);
    const call = (scheme: string): Promise<HttpResponse> =>
      httpRequest(new URL(path, `${scheme}://${host}`), {
        method,
        headers,
        tlsVerify: access.tlsVerify,
        ca: access.ca,
        timeoutMs: this.options.timeoutMs,
        signal: this.options.signal,
      });
    const scheme = state.scheme;
    try {
      return await call(scheme);
    } catch (error) {
      // Concurrent calls may all meet the plain-HTTP port before the first one switches the host over.
      if (scheme === 'https' && access.tlsVerify === false && isTlsHandshakeFailure(error)) {
        state.scheme = 'http';
        return this.raw(registry, state, access, method, path, headers);
      }
      throw new RegistryError(`${method} ${host}${path}: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
  }
}

function basicHeader(credential: RegistryCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}
