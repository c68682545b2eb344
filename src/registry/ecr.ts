/**
 * Amazon ECR credentials from the reconciler's own AWS identity (image-operator's `useAwsIRSA`; natively
 * `registries[].awsEcr: true`).
 *
 * The AWS SDK v3 finds the identity: with `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` (what EKS injects
 * for IRSA) it calls STS `AssumeRoleWithWebIdentity` with the projected token (re-read at each renewal, as
 * the kubelet rotates it); without them it walks the SDK's default chain (env keys, profile, pod identity,
 * instance role). With those credentials ECR `GetAuthorizationToken` answers a base64 `AWS:<password>`
 * valid 12 hours: the registry credential `AWS` / `<password>`. It is kept per region and asked again when
 * less than `renewBeforeMs` (default 6 h, at most half its lifetime) is left, so that the authfile Secrets
 * rendered from it (copy and build Jobs, a Recurrent sync's CronJob) are re-rendered with a fresh token
 * long before they would stop working; a sync runs every few minutes.
 *
 * Endpoints: AWS's own variables `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_ECR` (or `AWS_ENDPOINT_URL`)
 * point the SDK elsewhere (a VPC endpoint; in tests, a loopback emulator). Region: the one in an ECR host
 * name (`<account>.dkr.ecr.<region>.amazonaws.com`), else `AWS_REGION` / `AWS_DEFAULT_REGION`.
 *
 * The token never leaves this module but as the credential it is: messages name the host, the region and
 * the AWS error code, and any long token-like run in an AWS error message is replaced by `[redacted]`.
 *
 * Public ECR tag listing (`public.ecr.aws`): image-operator read at most `API_AWS_PAGE_MAX` pages (4) of
 * `API_AWS_PAGE_ITEMS_COUNT` tags (1000); `publicEcrTagPaging` gives the registry client the same bounds.
 */
import {
  ECRClient,
  GetAuthorizationTokenCommand,
  type GetAuthorizationTokenCommandOutput,
} from '@aws-sdk/client-ecr';
import { fromNodeProviderChain, fromTokenFile } from '@aws-sdk/credential-providers';
import { ImageGitopsError } from '../core/errors.js';
import type { RegistryCredential } from './credentials.js';
import { normaliseRegistryHost, parseImageReference } from './references.js';

export type Env = Record<string, string | undefined>;

/** AWS credentials as the SDK's clients take them. */
export type AwsCredentialIdentityProvider = NonNullable<
  NonNullable<ConstructorParameters<typeof ECRClient>[0]>['credentials']
>;

/** ECR's tokens are valid 12 hours. */
export const ECR_TOKEN_LIFETIME_MS = 12 * 3600_000;
export const DEFAULT_RENEW_BEFORE_MS = 6 * 3600_000;
export const PUBLIC_ECR_HOST = 'public.ecr.aws';
const MIN_LEFT_ON_FAILED_RENEWAL_MS = 3600_000;

/** The promise, or the signal's abort as an error, whichever comes first. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new ImageGitopsError('OBSERVE_FAILED', `${what}: aborted`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ImageGitopsError('OBSERVE_FAILED', `${what}: aborted`));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One ECR registry credential with its validity (epoch ms). */
export interface EcrCredential extends RegistryCredential {
  expiresAt: number;
  fetchedAt: number;
  region: string;
}

/** Account and region of a private ECR host; undefined for other hosts. */
export function parseEcrHost(host: string): { registryId: string; region: string } | undefined {
  const bare = normaliseRegistryHost(host).replace(/:\d+$/, '');
  const match =
    /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(bare) ??
    /^(\d{12})\.dkr-ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.on\.aws$/.exec(bare);
  return match ? { registryId: match[1]!, region: match[2]! } : undefined;
}

/** Long runs of token-like characters (JWTs, base64 tokens, keys) in a message, replaced. */
export function scrubSecrets(text: string): string {
  return text.replace(/[A-Za-z0-9+/_=.-]{32,}/g, '[redacted]');
}

function awsErrorText(error: unknown): string {
  const e = error as {
    name?: string;
    Code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.Code ?? e?.name ?? 'Error';
  const message = scrubSecrets(String(e?.message ?? error).replace(/\s+/g, ' ')).slice(0, 300);
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
}

function endpointOf(env: Env, service: 'STS' | 'ECR'): string | undefined {
  if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined;
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

function positiveSeconds(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1)
    throw new ImageGitopsError(
      'CONFIG',
      `${name} must be a whole number of seconds, at least 1; got "${raw}"`,
    );
  return Number(raw) * 1000;
}

export interface EcrTokenSourceOptions {
  /** Where AWS_* settings are read; default process.env (the SDK's default chain always reads process.env). */
  env?: Env;
  /** Clock (epoch ms); tests drive renewal through it. */
  now?: () => number;
  /** Renew when less than this is left (capped at half the token's lifetime). Default 6 h, or env AWS_ECR_TOKEN_RENEW_BEFORE_SECONDS. */
  renewBeforeMs?: number;
  /** AWS credentials; default: web identity from env (IRSA), else the SDK's default chain. */
  credentials?: AwsCredentialIdentityProvider;
  /** One AWS call's deadline; default 30 s. */
  timeoutMs?: number;
}

/** ECR authorization tokens per region, fetched with the AWS SDK and renewed before they expire. */
export class EcrTokenSource {
  private readonly env: Env;
  private readonly now: () => number;
  private readonly renewBeforeMs: number;
  private readonly timeoutMs: number;
  private readonly credentials: AwsCredentialIdentityProvider | undefined;
  private readonly tokens = new Map<string, EcrCredential>();
  private readonly pending = new Map<string, Promise<EcrCredential>>();
  private readonly clients = new Map<string, ECRClient>();
  /** GetAuthorizationToken calls made. */
  fetches = 0;

  constructor(options: EcrTokenSourceOptions = {}) {
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
    this.renewBeforeMs =
      options.renewBeforeMs ??
      positiveSeconds(this.env, 'AWS_ECR_TOKEN_RENEW_BEFORE_SECONDS') ??
      DEFAULT_RENEW_BEFORE_MS;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.credentials = options.credentials;
  }

  /** The region whose ECR token is used for `host`. */
  regionFor(host: string): string {
    const key = normaliseRegistryHost(host);
    if (key === PUBLIC_ECR_HOST)
      throw new ImageGitopsError(
        'OBSERVE_FAILED',
        `${key}: awsEcr (useAwsIRSA) gives private ECR tokens; ECR Public needs none to pull`,
      );
    const region = parseEcrHost(key)?.region ?? (this.env.AWS_REGION || this.env.AWS_DEFAULT_REGION);
    if (!region)
      throw new ImageGitopsError(
        'OBSERVE_FAILED',
        `${key}: awsEcr needs an AWS region: the host is not <account>.dkr.ecr.<region>.amazonaws.com and AWS_REGION is not set`,
      );
    return region;
  }

  /** True when the token must be asked again at `now`. */
  needsRenewal(token: EcrCredential, now = this.now()): boolean {
    const lifetime = token.expiresAt - token.fetchedAt;
    if (lifetime <= 0) return true;
    return now >= token.expiresAt - Math.min(this.renewBeforeMs, lifetime / 2);
  }

  /** The registry credential for an ECR host: cached while fresh, else asked of ECR (one call per region at a time). */
  async credentialFor(host: string, signal?: AbortSignal): Promise<EcrCredential> {
    const region = this.regionFor(host);
    const cached = this.tokens.get(region);
    if (cached && !this.needsRenewal(cached)) return cached;
    let pending = this.pending.get(region);
    if (!pending) {
      // Shared by every manifest asking meanwhile: bounded by the SDK's own deadlines, not one caller's signal.
      pending = this.fetch(region, normaliseRegistryHost(host))
        .catch((error: unknown) => {
          // A renewal that fails while the kept token has more than an hour left keeps it (retried next sync).
          if (cached && cached.expiresAt - this.now() > MIN_LEFT_ON_FAILED_RENEWAL_MS) return cached;
          throw error;
        })
        .finally(() => this.pending.delete(region));
      this.pending.set(region, pending);
    }
    return signal
      ? raceAbort(pending, signal, `ECR authorization token for ${normaliseRegistryHost(host)}`)
      : pending;
  }

  private client(region: string): ECRClient {
    let client = this.clients.get(region);
    if (!client) {
      const stsEndpoint = endpointOf(this.env, 'STS');
      const ecrEndpoint = endpointOf(this.env, 'ECR');
      const stsConfig = {
        region: this.env.AWS_REGION || this.env.AWS_DEFAULT_REGION || region,
        ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
      };
      const credentials =
        this.credentials ??
        (this.env.AWS_WEB_IDENTITY_TOKEN_FILE && this.env.AWS_ROLE_ARN
          ? fromTokenFile({
              webIdentityTokenFile: this.env.AWS_WEB_IDENTITY_TOKEN_FILE,
              roleArn: this.env.AWS_ROLE_ARN,
              roleSessionName: this.env.AWS_ROLE_SESSION_NAME || 'image-gitops',
              clientConfig: stsConfig,
            })
          : fromNodeProviderChain({ clientConfig: stsConfig }));
      // The SDK warns once that its releases from 2027 need Node 22; this reconciler runs on Node 20 with the
      // SDK version locked in package-lock.json (README). The SDK's own opt-out, unless the operator set it.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      client = new ECRClient({
        region,
        credentials,
        ...(ecrEndpoint ? { endpoint: ecrEndpoint } : {}),
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 10_000, requestTimeout: this.timeoutMs },
      });
      this.clients.set(region, client);
    }
    return client;
  }

  private async fetch(region: string, host: string): Promise<EcrCredential> {
    const where = `ECR authorization token for ${host} (region ${region})`;
    let answer: GetAuthorizationTokenCommandOutput;
    const fetchedAt = this.now();
    try {
      this.fetches++;
      answer = await this.client(region).send(new GetAuthorizationTokenCommand({}));
    } catch (error) {
      throw new ImageGitopsError('OBSERVE_FAILED', `${where}: ${awsErrorText(error)}`);
    }
    const data = answer.authorizationData?.[0];
    if (!data?.authorizationToken)
      throw new ImageGitopsError('OBSERVE_FAILED', `${where}: the answer holds no authorizationToken`);
    const text = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0 || colon === text.length - 1)
      throw new ImageGitopsError(
        'OBSERVE_FAILED',
        `${where}: authorizationToken is not base64 of user:password`,
      );
    const expiresAt =
      data.expiresAt instanceof Date && !Number.isNaN(data.expiresAt.getTime())
        ? data.expiresAt.getTime()
        : fetchedAt + ECR_TOKEN_LIFETIME_MS;
    const token: EcrCredential = {
      username: text.slice(0, colon),
      password: text.slice(colon + 1),
      expiresAt,
      fetchedAt,
      region,
    };
    // A token already past its expiry (an emulator's fixed date) is used for this call only.
    if (expiresAt > fetchedAt) this.tokens.set(region, token);
    else this.tokens.delete(region);
    return token;
  }

  /** Drops the clients' sockets (tests; the reconciler keeps one source for its lifetime). */
  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** Tag-list bounds for a registry host: image-operator's API_AWS_PAGE_* for public.ecr.aws, none elsewhere. */
export type TagPaging = (registry: string) => { pageSize?: number; maxPages?: number } | undefined;

function boundedInt(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > max)
    throw new ImageGitopsError('CONFIG', `${name} must be a whole number from 1 to ${max}; got "${raw}"`);
  return Number(raw);
}

/**
 * image-operator's settings for public ECR tag listings: at most API_AWS_PAGE_MAX pages (default 4) of
 * API_AWS_PAGE_ITEMS_COUNT tags (default 1000, ECR's largest page).
 */
export function publicEcrTagPaging(env: Env = process.env): TagPaging {
  const pageSize = boundedInt(env, 'API_AWS_PAGE_ITEMS_COUNT', 1000, 1000);
  const maxPages = boundedInt(env, 'API_AWS_PAGE_MAX', 4, 10_000);
  return (registry) =>
    normaliseRegistryHost(registry) === PUBLIC_ECR_HOST ? { pageSize, maxPages } : undefined;
}

/** What the observe steps use: the token source and the public ECR paging. One per reconciler process. */
export interface AwsEcrAccess {
  tokens: EcrTokenSource;
  tagPaging: TagPaging;
}

let processWide: AwsEcrAccess | undefined;

/** The reconciler's own (from process.env), made on first use and kept, so that tokens are reused across syncs. */
export function defaultAwsEcrAccess(): AwsEcrAccess {
  processWide ??= { tokens: new EcrTokenSource(), tagPaging: publicEcrTagPaging(process.env) };
  return processWide;
}

/** The registry credential of an `awsEcr` registry (OBSERVE_FAILED with a message free of secrets). */
export async function ecrRegistryCredential(
  host: string,
  access: AwsEcrAccess | undefined,
  signal?: AbortSignal,
): Promise<RegistryCredential> {
  const token = await (access ?? defaultAwsEcrAccess()).tokens.credentialFor(host, signal);
  return { username: token.username, password: token.password };
}

/**
 * image-operator's `useAwsIRSA: true` on an image (`{name, useAwsIRSA}`) as `registries` entries: that image's
 * registry host with `awsEcr: true`, each host once.
 */
export function awsIrsaRegistries(
  images: ReadonlyArray<{ name: string; useAwsIRSA?: boolean }>,
): Array<{ host: string; awsEcr: true }> {
  const hosts = images.filter((i) => i.useAwsIRSA === true).map((i) => parseImageReference(i.name).registry);
  return [...new Set(hosts)].map((host) => ({ host, awsEcr: true as const }));
}
