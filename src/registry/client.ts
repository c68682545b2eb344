/**
 * A small client for the registry HTTP API (distribution spec): tag lists with `Link` pagination and manifest
 * digests by HEAD with the four manifest Accept types (without the OCI ones OCI images answer 404; without the
 * Docker v2 ones Docker images are converted to schema1 with another digest).
 *
 * Auth: a 401 with `WWW-Authenticate: Basic` is answered with the registry's credential; a 401 with
 * `Bearer realm=...,service=...,scope=...` (Docker Hub, GHCR, Quay, Harbor) fetches a token from the realm
 * (with basic credentials when there are any, anonymously otherwise) and retries.
 *
 * Credentials go to a token service only when it is on the registry's own host (same host and port), on a
 * host the operator allowed (REGISTRY_TOKEN_HOSTS; Docker Hub's auth.docker.io for docker.io), and over
 * HTTPS unless the registry is explicitly insecure (`tlsVerify: false`); otherwise the token is asked for
 * anonymously and a refusal says why the credentials were withheld. A redirect to another origin drops them.
 *
 * Bounds: every request has a connect and a whole-answer deadline; 429/503 are retried a bounded number of
 * times after `Retry-After`, a Retry-After beyond REGISTRY_MAX_RETRY_AFTER_SECONDS fails at once (the next
 * sync retries), and all waits of one sync share a budget (see limits.ts).
 * Answers are checked by schema before use (answers.ts); tags that are not valid tags are skipped and named.
 * TLS per registry: verified by default, an extra CA, or `tlsVerify: false` which, like skopeo, also falls
 * back to plain HTTP when the port does not speak TLS.
 */
import { createHash } from 'node:crypto';
import {
  connectionFailureClass,
  httpStatusClass,
  ImageGitopsError,
  type ProblemClass,
} from '../core/errors.js';
import { isDigest, type ManifestAnswer, parseAnswer } from './answers.js';
import type { RegistryCredential } from './credentials.js';
import { HttpFailure, type HttpResponse, httpRequest, isTlsHandshakeFailure } from './http.js';
import { DEFAULT_REGISTRY_LIMITS, type RegistryPolicy, registryPolicy, sleep } from './limits.js';
import {
  DOCKER_HUB,
  type ImageReference,
  isValidTag,
  normaliseRegistryHost,
  registryApiHost,
} from './references.js';
import {
  filterByArtifactType,
  MAX_REFERRER_PAGES,
  MAX_REFERRERS,
  OCI_INDEX_MEDIA_TYPE,
  type Referrer,
  type ReferrersList,
  readReferrersAnswer,
  referrersOfIndex,
  referrersPath,
} from './referrers.js';
import { nextPageUrl, type Truncation } from './tag-pages.js';

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
  /** The sync's limits and shared wait budget; default: DEFAULT_REGISTRY_LIMITS and a budget of its own. */
  policy?: RegistryPolicy;
  /** Retries after 429/503; default the policy's (3). */
  maxRetries?: number;
  /** Longest Retry-After waited for; a longer one fails the call at once. Default the policy's (10 s). */
  maxRetryDelayMs?: number;
  /** Wait when a 429 has no Retry-After; default 1 s. */
  defaultRetryDelayMs?: number;
  /** One request's whole-answer deadline; default the policy's (30 s). */
  timeoutMs?: number;
  /** Tags per page asked with `?n=` (the registry may answer fewer); the registry's default when absent. */
  tagPageSize?: number;
  /** Per-registry page size and page count bound of tag lists (public ECR's API_AWS_PAGE_*, see ecr.ts). */
  tagPaging?: (registry: string) => { pageSize?: number; maxPages?: number } | undefined;
  signal?: AbortSignal;
  /** Told every answer of a registry (its status and headers): pull budgets read the rate-limit headers. */
  onAnswer?: (
    registry: string,
    answer: Pick<HttpResponse, 'status' | 'headers'> & { method: string; path: string },
  ) => void;
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

/** A tag list, and the entries of the registry's answer that were not valid tags (skipped). */
export interface TagList {
  tags: string[];
  skipped: string[];
  /** Set when the listing stopped before the registry's last tag, and why (tag-pages.ts). */
  truncated?: Truncation;
}

/**
 * A registry call that failed, classified where it failed: by the HTTP status it answered (401/403 auth,
 * 404, 429 and 5xx retried next sync), else by the failure that kept it from answering (a deadline, a refused
 * connection, an untrusted certificate); with neither, the answer itself broke the protocol (a digest that is
 * not one, endless pagination): retrying will not mend it.
 */
export class RegistryError extends ImageGitopsError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('REGISTRY', message, undefined, {
      ...options,
      classified:
        status !== undefined
          ? httpStatusClass(status)
          : options?.cause !== undefined
            ? failureClass(options.cause)
            : { reason: 'BadResponse', retryable: false },
    });
    this.name = 'RegistryError';
    this.status = status;
  }
}

/** A request that got no answer: its own class, Node's connection error code, or a cancelled sync. */
function failureClass(cause: unknown): ProblemClass {
  if (cause instanceof HttpFailure) return cause.problemClass;
  const connection = connectionFailureClass(cause);
  if (connection) return connection;
  // AbortSignal.timeout's TimeoutError, or the sync's signal (its deadline, a shutdown).
  const name = (cause as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return { reason: 'Timeout', retryable: true };
  return { reason: 'Failed', retryable: true };
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

/** The `next` target of a `Link: </v2/x/tags/list?last=y&n=100>; rel="next"` header, as path and query. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const next = nextPageUrl(header, new URL('https://registry.invalid/'));
  return next && (next.host === 'registry.invalid' ? `${next.pathname}${next.search}` : next.href);
}

/** Who reads with which access, without the secret itself: tag lists are shared only between equals. */
function accessFingerprint(access: RegistryAccess): string {
  const credential = access.credential ? `${access.credential.username}\0${access.credential.password}` : '';
  return createHash('sha256')
    .update(`${credential}\0${access.tlsVerify !== false}\0${access.ca ?? ''}`)
    .digest('hex');
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface HostState {
  scheme: 'https' | 'http';
  basic: boolean;
  /** Why credentials were not sent to the token service, for the message of a refusal. */
  withheld?: string;
  /** Bearer tokens by scope, with their expiry. */
  tokens: Map<string, { token: string; expires: number }>;
}

export class RegistryClient {
  private readonly hosts = new Map<string, HostState>();
  private readonly options: RegistryClientOptions;
  private readonly policy: RegistryPolicy;
  /** The media type a manifest HEAD answered, by digest (an index or one image: what a copy will GET). */
  private readonly mediaTypes = new Map<string, string>();
  /** `<registry>/<repository>` whose registry does not serve the referrers API (asked once per client). */
  private readonly referrersUnsupported = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.policy = options.policy ?? registryPolicy(DEFAULT_REGISTRY_LIMITS);
  }

  /** Every valid tag of the repository, following `Link` pagination; undefined when the repository is unknown. */
  async listTags(image: Pick<ImageReference, 'registry' | 'repository'>): Promise<string[] | undefined> {
    return (await this.listTagsDetailed(image))?.tags;
  }

  /**
   * The tags of the repository with the entries skipped because they are not valid tags
   * (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`); undefined when the repository is unknown. An answer that is not a
   * tag list at all (`{"tags":"abc"}`) throws. Bounded: at most `maxTags` (and REGISTRY_MAX_TAGS) tags, and
   * pages from the sync's page budget; a list that stopped early says why in `truncated`. Read once per sync
   * for the same repository, bound and access (credentials, TLS): later calls share the first one's answer.
   */
  async listTagsDetailed(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    options: { maxTags?: number } = {},
  ): Promise<TagList | undefined> {
    const registry = normaliseRegistryHost(image.registry);
    const maxTags = Math.min(options.maxTags ?? this.policy.limits.maxTags, this.policy.limits.maxTags);
    const key = `${registry}/${image.repository}\0${maxTags}\0${accessFingerprint(this.access(registry))}`;
    // Shared only through a sync's policy (the engine's): a client of its own reads afresh each time.
    if (!this.options.policy) return this.readTagList(image, maxTags);
    const cache = this.policy.tagLists as Map<string, Promise<TagList | undefined>>;
    const cached = cache.get(key);
    if (cached) {
      try {
        return await cached;
      } catch (error) {
        // Another manifest's read failed (its deadline, say): this one reads for itself.
        if (this.options.signal?.aborted) throw error;
        return this.readTagList(image, maxTags);
      }
    }
    const reading = this.readTagList(image, maxTags);
    cache.set(key, reading);
    reading.catch(() => cache.get(key) === reading && cache.delete(key));
    return reading;
  }

  private async readTagList(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    maxTags: number,
  ): Promise<TagList | undefined> {
    const tags = new Set<string>();
    const skipped: string[] = [];
    const registry = normaliseRegistryHost(image.registry);
    const paging = this.options.tagPaging?.(registry);
    const size = paging?.pageSize ?? this.options.tagPageSize;
    const what = `list tags of ${image.registry}/${image.repository}`;
    const origin = new URL(`https://${registryApiHost(registry)}`);
    let page: URL | undefined = new URL(
      `/v2/${image.repository}/tags/list${size ? `?n=${size}` : ''}`,
      origin,
    );
    const seen = new Set<string>();
    const result = (truncated?: Truncation): TagList => ({
      tags: [...tags],
      skipped,
      ...(truncated ? { truncated } : {}),
    });
    for (let pages = 0; page; pages++) {
      /** Truncated after `read` pages. */
      const stop = (reason: Truncation['reason'], read: number) =>
        result({ reason, pages: read, tags: tags.size, ...(size ? { pageSize: size } : {}) });
      if (paging?.maxPages !== undefined && pages >= paging.maxPages) return stop('awsPages', pages);
      const path: string = `${page.pathname}${page.search}`;
      if (seen.has(path))
        throw new RegistryError(`${image.registry}/${image.repository}: endless tag pagination`);
      seen.add(path);
      if (!this.policy.tagPages.take()) return stop('syncPages', pages);
      const res = await this.send(image, 'GET', path, { Accept: 'application/json' });
      if (res.status === 404) return pages === 0 ? undefined : result();
      this.expectOk(res, what, image.registry);
      const parsed = this.answer('tagList', res, what);
      for (const tag of parsed.tags ?? []) {
        if (!isValidTag(tag)) skipped.push(tag);
        else if (tags.size < maxTags || tags.has(tag)) tags.add(tag);
        else return stop('maxTags', pages + 1);
      }
      page = nextPageUrl(res.headers.link, page);
      // The next page stays on this registry: a Link to another origin is not followed.
      if (page && page.host !== origin.host && normaliseRegistryHost(page.host) !== registry)
        throw new RegistryError(`${what}: the next page is on another host (${page.host}): refused`);
      if (page && tags.size >= maxTags) return stop('maxTags', pages + 1);
    }
    return result();
  }

  private answer<K extends Parameters<typeof parseAnswer>[0]>(kind: K, res: HttpResponse, what: string) {
    try {
      return parseAnswer(kind, res.body, what);
    } catch (error) {
      throw new RegistryError((error as Error).message, res.status);
    }
  }

  private digestHeader(res: HttpResponse, what: string): string | undefined {
    const digest = headerText(res.headers['docker-content-digest'])?.trim();
    if (digest === undefined || digest === '') return undefined;
    if (!isDigest(digest))
      throw new RegistryError(
        `${what}: Docker-Content-Digest "${digest.slice(0, 100)}" is not a digest: refused`,
      );
    return digest;
  }

  /**
   * The manifest digest of a tag or digest (HEAD); undefined when there is no such manifest. With `known`
   * (the digest seen last time) the HEAD is conditional (`If-None-Match`): a registry that answers 304
   * (distribution does) confirms it without a body or a digest to check.
   */
  async manifestDigest(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    reference: string,
    known?: string,
  ): Promise<string | undefined> {
    const res = await this.send(image, 'HEAD', `/v2/${image.repository}/manifests/${reference}`, {
      Accept: MANIFEST_ACCEPT,
      ...(known && isDigest(known) ? { 'If-None-Match': `"${known}"` } : {}),
    });
    if (res.status === 304 && known) return known;
    if (res.status === 404) return undefined;
    const what = `HEAD ${image.registry}/${image.repository}:${reference}`;
    this.expectOk(res, what, image.registry);
    const digest = this.digestHeader(res, what);
    const mediaType = headerText(res.headers['content-type'])?.split(';')[0]?.trim();
    if (digest && mediaType) this.mediaTypes.set(digest, mediaType);
    if (digest) return digest;
    // Some registries omit the header on HEAD: the GET body's sha256 is the digest.
    return (await this.getManifest(image, reference))?.digest;
  }

  /**
   * The referrers of an image digest (referrers.ts): from the OCI 1.1 API where the registry serves it
   * (following `Link` pages, at most MAX_REFERRERS), else from the tag schema's index under `sha256-<hex>`
   * (read only with `tagSchema`: false when the tag list says there is none). A repository whose registry
   * answered the API with 404 or not an index is not asked again by this client. With `artifactType` only
   * referrers of that type, filtered by the registry (`OCI-Filters-Applied`) or here.
   */
  async listReferrers(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    digest: string,
    options: { artifactType?: string; tagSchema?: boolean } = {},
  ): Promise<ReferrersList> {
    const key = `${normaliseRegistryHost(image.registry)}/${image.repository}`;
    if (!this.referrersUnsupported.has(key)) {
      const fromApi = await this.readReferrersApi(image, digest, options.artifactType);
      if (fromApi) return fromApi;
      this.referrersUnsupported.add(key);
    }
    if (options.tagSchema === false) return { via: 'none', referrers: [] };
    let index: ManifestInfo | undefined;
    try {
      index = await this.getManifest(image, digest.replace(':', '-'));
    } catch (error) {
      // A body under that tag that is no manifest lists no referrer (the tag itself is still copied as one).
      const status = error instanceof RegistryError ? error.status : undefined;
      if (status === undefined || status < 200 || status >= 300) throw error;
    }
    const listed = index ? referrersOfIndex(index.body, index.mediaType) : undefined;
    if (!listed) return { via: 'none', referrers: [] };
    const referrers = filterByArtifactType(listed, options.artifactType, undefined);
    return {
      via: 'tagSchema',
      referrers: referrers.slice(0, MAX_REFERRERS),
      ...(referrers.length > MAX_REFERRERS ? { truncated: true } : {}),
    };
  }

  /** Whether this client found the registry of a repository without the referrers API. */
  referrersApiUnsupported(image: Pick<ImageReference, 'registry' | 'repository'>): boolean {
    return this.referrersUnsupported.has(`${normaliseRegistryHost(image.registry)}/${image.repository}`);
  }

  /** The API's pages; undefined when the registry does not serve it (404, or an answer that is no index). */
  private async readReferrersApi(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    digest: string,
    artifactType: string | undefined,
  ): Promise<ReferrersList | undefined> {
    const registry = normaliseRegistryHost(image.registry);
    const origin = new URL(`https://${registryApiHost(registry)}`);
    const what = `GET referrers of ${image.registry}/${image.repository}@${digest}`;
    const referrers: Referrer[] = [];
    let page: URL | undefined = new URL(referrersPath(image.repository, digest, artifactType), origin);
    const seen = new Set<string>();
    for (let pages = 0; page; pages++) {
      if (pages >= MAX_REFERRER_PAGES) return { via: 'api', referrers, truncated: true };
      const path: string = `${page.pathname}${page.search}`;
      if (seen.has(path)) throw new RegistryError(`${what}: endless referrers pagination`);
      seen.add(path);
      const res = await this.send(image, 'GET', path, { Accept: OCI_INDEX_MEDIA_TYPE });
      const answer = readReferrersAnswer(res.status, headerText(res.headers['content-type']), res.body);
      if (!answer) this.expectOk(res, what, image.registry);
      if (!answer?.supported) {
        // A later page that breaks off is an error; a first one says the API is not there.
        if (pages === 0) return undefined;
        throw new RegistryError(`${what}: page ${pages + 1} ${answer?.why ?? 'failed'}`, res.status);
      }
      for (const r of filterByArtifactType(
        answer.referrers,
        artifactType,
        res.headers['oci-filters-applied'],
      )) {
        if (referrers.length === MAX_REFERRERS) return { via: 'api', referrers, truncated: true };
        referrers.push(r);
      }
      page = nextPageUrl(res.headers.link, page);
      if (page && page.host !== origin.host && normaliseRegistryHost(page.host) !== registry)
        throw new RegistryError(`${what}: the next page is on another host (${page.host}): refused`);
    }
    return { via: 'api', referrers };
  }

  /** The media type a HEAD of this client answered for the digest; undefined when none did (a 304). */
  mediaTypeOf(digest: string): string | undefined {
    return this.mediaTypes.get(digest);
  }

  async getManifest(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    reference: string,
  ): Promise<ManifestInfo | undefined> {
    const res = await this.send(image, 'GET', `/v2/${image.repository}/manifests/${reference}`, {
      Accept: MANIFEST_ACCEPT,
    });
    if (res.status === 404) return undefined;
    const what = `GET ${image.registry}/${image.repository}:${reference}`;
    this.expectOk(res, what, image.registry);
    const digest =
      this.digestHeader(res, what) ?? `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
    const body = this.answer('manifest', res, what);
    const mediaType = headerText(res.headers['content-type'])?.split(';')[0] ?? body.mediaType ?? '';
    return { digest, mediaType, body };
  }

  /**
   * When the image of a manifest digest was made: its config's `created` (of the platform given, else
   * linux/amd64, else the first, for an index). Undefined when the image says nothing or is not found.
   * Costs a manifest GET or two and a blob GET: callers keep the answer (a digest never changes).
   */
  async imageCreated(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    digest: string,
    platform?: Platform,
  ): Promise<string | undefined> {
    let manifest = await this.getManifest(image, digest);
    // Checked by schema in getManifest.
    const children = (manifest?.body as ManifestAnswer | undefined)?.manifests;
    if (children?.length) {
      const wanted = platform ?? { os: 'linux', architecture: 'amd64' };
      const child =
        children.find(
          (m) => m.platform?.os === wanted.os && m.platform?.architecture === wanted.architecture,
        ) ?? children[0]!;
      manifest = await this.getManifest(image, child.digest);
    }
    const config = (manifest?.body as ManifestAnswer | undefined)?.config?.digest;
    if (!config) return undefined;
    const what = `GET ${image.registry}/${image.repository}@${config}`;
    const res = await this.send(image, 'GET', `/v2/${image.repository}/blobs/${config}`, {});
    if (res.status === 404) return undefined;
    this.expectOk(res, what, image.registry);
    const created = this.answer('imageConfig', res, what).created;
    return created !== undefined && !Number.isNaN(Date.parse(created)) ? created : undefined;
  }

  /**
   * A blob's bytes, checked against its digest (content-addressed: other bytes are refused); undefined when
   * the registry has no such blob. For small blobs (signature payloads): `maxBytes` is checked on the answer.
   */
  async getBlob(
    image: Pick<ImageReference, 'registry' | 'repository'>,
    digest: string,
    maxBytes: number,
  ): Promise<Buffer | undefined> {
    if (!isDigest(digest)) throw new RegistryError(`"${digest.slice(0, 100)}" is not a digest: refused`);
    const what = `GET ${image.registry}/${image.repository}@${digest}`;
    const res = await this.send(image, 'GET', `/v2/${image.repository}/blobs/${digest}`, {});
    if (res.status === 404) return undefined;
    this.expectOk(res, what, image.registry);
    if (res.body.length > maxBytes)
      throw new RegistryError(
        `${what}: ${res.body.length} bytes, more than the ${maxBytes} expected: refused`,
      );
    const [algorithm, hex] = digest.split(':') as [string, string];
    if (createHash(algorithm).update(res.body).digest('hex') !== hex)
      throw new RegistryError(`${what}: the blob's content does not match its digest: refused`);
    return res.body;
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
    // Checked by schema in getManifest: every child has a digest.
    const children = (
      manifest.body as { manifests?: Array<{ digest: string; platform?: Partial<Platform> }> }
    ).manifests;
    if (!children) return manifest.digest;
    const child = children.find(
      (m) =>
        m.platform?.os === platform.os &&
        m.platform?.architecture === platform.architecture &&
        (!platform.variant || m.platform?.variant === platform.variant),
    );
    return child?.digest;
  }

  private expectOk(res: HttpResponse, what: string, registry?: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const detail = res.body
      .toString('utf8')
      .slice(0, 300)
      .replace(/[^\x20-\x7e]+/g, ' ')
      .trim();
    const withheld = registry ? this.hosts.get(normaliseRegistryHost(registry))?.withheld : undefined;
    const hint =
      res.status === 401 || res.status === 403
        ? withheld
          ? ` (${withheld})`
          : ' (check the credentials Secret of this registry)'
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
      this.options.onAnswer?.(registry, { status: res.status, headers: res.headers, method, path });
      if (res.status === 401 && !authRetried) {
        authRetried = true;
        if (await this.answerChallenge(res, registry, state, access, defaultScope, auth.Authorization))
          continue;
        return res;
      }
      const limits = this.policy.limits;
      if (
        (res.status === 429 || res.status === 503) &&
        rateRetries < (this.options.maxRetries ?? limits.maxRetries)
      ) {
        rateRetries++;
        const what = `${method} ${registry}${path.split('?')[0]}: HTTP ${res.status}`;
        const wait =
          retryAfterMs(headerText(res.headers['retry-after'])) ?? this.options.defaultRetryDelayMs ?? 1000;
        const bound = this.options.maxRetryDelayMs ?? limits.maxRetryAfterMs;
        if (wait > bound) {
          throw new RegistryError(
            `${what}, Retry-After ${Math.ceil(wait / 1000)} s is beyond the ${Math.ceil(bound / 1000)} s ` +
              'bound (REGISTRY_MAX_RETRY_AFTER_SECONDS): not waited for, retried next sync',
            res.status,
          );
        }
        if (!this.policy.budget.take(wait)) {
          throw new RegistryError(
            `${what}: this sync's ${Math.round(this.policy.budget.totalMs / 1000)} s of retry waits are spent ` +
              '(REGISTRY_RETRY_WAIT_BUDGET_SECONDS): retried next sync',
            res.status,
          );
        }
        await sleep(wait, this.options.signal);
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
    registry: string,
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
      const token = await this.fetchToken(challenge.params, scope, registry, state, access);
      state.tokens.set(defaultScope, token);
      return true;
    }
    return false;
  }

  /**
   * Why the credential may not go to this token service, or undefined when it may: the realm must be on the
   * registry's own host (same host and port) or an allowed token host, and on HTTPS unless the registry is
   * explicitly insecure.
   */
  private withholdReason(realm: URL, registry: string, access: RegistryAccess): string | undefined {
    const realmHost = realm.host.toLowerCase();
    const own = new Set([registry, registryApiHost(registry)].map((h) => h.toLowerCase()));
    const allowed = [
      ...(registry === DOCKER_HUB ? ['auth.docker.io'] : []),
      ...(this.policy.limits.tokenHosts.get('*') ?? []),
      ...(this.policy.limits.tokenHosts.get(registry) ?? []),
    ];
    if (!own.has(realmHost) && !allowed.includes(realmHost)) {
      return (
        `credentials withheld from the token service ${realm.origin}: it is not ${registry}'s own host ` +
        '(an operator can allow it with REGISTRY_TOKEN_HOSTS)'
      );
    }
    if (realm.protocol !== 'https:' && access.tlsVerify !== false) {
      return `credentials withheld from the token service ${realm.origin}: plain HTTP, and ${registry} is not marked insecure (tlsVerify: false)`;
    }
    return undefined;
  }

  private async fetchToken(
    params: Record<string, string>,
    scope: string,
    registry: string,
    state: HostState,
    access: RegistryAccess,
  ): Promise<{ token: string; expires: number }> {
    let url: URL;
    try {
      url = new URL(params.realm ?? '');
    } catch {
      throw new RegistryError(
        `${registry}: token realm "${(params.realm ?? '').slice(0, 100)}" is not a URL`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new RegistryError(`${registry}: token realm ${url.protocol} is neither https nor http: refused`);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const where = `token endpoint ${url.origin}${url.pathname}`;
    const realmAccess = this.access(url.host);
    const headers: Record<string, string> = {};
    const withheld = access.credential ? this.withholdReason(url, registry, access) : undefined;
    if (withheld) state.withheld = withheld;
    else delete state.withheld;
    if (access.credential && !withheld) headers.Authorization = basicHeader(access.credential);
    let res: HttpResponse;
    try {
      res = await httpRequest(url, {
        method: 'GET',
        headers,
        tlsVerify: realmAccess.tlsVerify,
        ca: realmAccess.ca,
        timeoutMs: this.options.timeoutMs ?? this.policy.limits.requestTimeoutMs,
        connectTimeoutMs: this.policy.limits.connectTimeoutMs,
        allowPlainHttp: access.tlsVerify === false,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } catch (error) {
      throw new RegistryError(`${where}: ${(error as Error).message}`, undefined, { cause: error });
    }
    if (res.status !== 200) {
      throw new RegistryError(
        `${where} answered HTTP ${res.status} for scope ${scope}` +
          (withheld
            ? ` (${withheld})`
            : access.credential
              ? ' (check the credentials Secret)'
              : ' (no credentials configured)'),
        res.status,
      );
    }
    const body = this.answer('token', res, where);
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`${where} returned no token`);
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
        timeoutMs: this.options.timeoutMs ?? this.policy.limits.requestTimeoutMs,
        connectTimeoutMs: this.policy.limits.connectTimeoutMs,
        allowPlainHttp: access.tlsVerify === false,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
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
