/**
 * Bounds on what talking to registries may cost, so that a slow or hostile registry costs one manifest a
 * bounded time and never holds a whole sync. Read from the environment (documented defaults):
 *
 * | env                               | default | bounds                                                    |
 * | --------------------------------- | ------- | --------------------------------------------------------- |
 * | REGISTRY_CONNECT_TIMEOUT_SECONDS  | 10      | opening one connection (TCP + TLS)                        |
 * | REGISTRY_REQUEST_TIMEOUT_SECONDS  | 30      | one request, from sending it to the last byte of its body |
 * | REGISTRY_MAX_RETRIES              | 3       | retries of one request after 429/503                      |
 * | REGISTRY_MAX_RETRY_AFTER_SECONDS  | 10      | a longer Retry-After fails the manifest now (next sync)   |
 * | REGISTRY_RETRY_WAIT_BUDGET_SECONDS| 60      | all Retry-After waits of one sync added up                |
 * | OBSERVE_TIMEOUT_SECONDS           | 120     | one manifest's observe step (all its registry calls)      |
 * | REGISTRY_TOKEN_HOSTS              | (none)  | token services allowed to receive credentials, see below  |
 * | REGISTRY_MAX_TAGS                 | 10000   | tags read of one repository's list (a manifest may ask fewer) |
 * | REGISTRY_TAG_PAGES_PER_SYNC       | 1000    | tag-list pages read by one sync, all repositories together |
 *
 * REGISTRY_TOKEN_HOSTS is a comma-separated list of `tokenhost[:port]` (allowed for every registry) or
 * `registry=tokenhost[:port]` (for that registry only). Docker Hub's `auth.docker.io` is always allowed for
 * `docker.io`. It is an operator setting: nothing in the config repo can widen it.
 */

import { setting } from '../config/settings-schema.js';
import { ImageGitopsError } from '../core/errors.js';

export interface RegistryLimits {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxRetries: number;
  maxRetryAfterMs: number;
  retryWaitBudgetMs: number;
  observeTimeoutMs: number;
  /** Extra token hosts by registry host (`*` for every registry). */
  tokenHosts: ReadonlyMap<string, readonly string[]>;
  /** Tags read of one repository's list; more are not read, and the list says it is truncated. */
  maxTags: number;
  /** Tag-list pages one sync reads, over every repository: once spent, lists stop where they are (truncated). */
  tagPagesPerSync: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxRetries: 3,
  maxRetryAfterMs: 10_000,
  retryWaitBudgetMs: 60_000,
  observeTimeoutMs: 120_000,
  tokenHosts: new Map(),
  maxTags: 10_000,
  tagPagesPerSync: 1000,
};

/** `auth.example.com,registry.gitlab.com=gitlab.com` → { '*': [auth.example.com], 'registry.gitlab.com': [gitlab.com] } */
export function parseTokenHosts(raw: string | undefined): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const entry of (raw ?? '').split(',').map((e) => e.trim().toLowerCase())) {
    if (!entry) continue;
    const [left, right] = entry.includes('=') ? entry.split('=', 2) : ['*', entry];
    const registry = (left ?? '').trim();
    const host = (right ?? '').trim();
    if (!isRegistryHost(host) || (registry !== '*' && !isRegistryHost(registry))) {
      throw new ImageGitopsError(
        'CONFIG',
        `REGISTRY_TOKEN_HOSTS: "${entry}" is neither host[:port] nor registry=host[:port]`,
      );
    }
    result.set(registry, [...(result.get(registry) ?? []), host]);
  }
  return result;
}

export function registryLimitsFromEnv(env: Record<string, string | undefined>): RegistryLimits {
  // Bounds, defaults and messages from schemas/settings.schema.json.
  const ms = (name: SecondsSetting) => Math.round(setting(env, name) * 1000);
  return {
    connectTimeoutMs: ms('REGISTRY_CONNECT_TIMEOUT_SECONDS'),
    requestTimeoutMs: ms('REGISTRY_REQUEST_TIMEOUT_SECONDS'),
    maxRetries: setting(env, 'REGISTRY_MAX_RETRIES'),
    maxRetryAfterMs: ms('REGISTRY_MAX_RETRY_AFTER_SECONDS'),
    retryWaitBudgetMs: ms('REGISTRY_RETRY_WAIT_BUDGET_SECONDS'),
    observeTimeoutMs: ms('OBSERVE_TIMEOUT_SECONDS'),
    tokenHosts: parseTokenHosts(env.REGISTRY_TOKEN_HOSTS),
    maxTags: setting(env, 'REGISTRY_MAX_TAGS'),
    tagPagesPerSync: setting(env, 'REGISTRY_TAG_PAGES_PER_SYNC'),
  };
}

type SecondsSetting =
  | 'REGISTRY_CONNECT_TIMEOUT_SECONDS'
  | 'REGISTRY_REQUEST_TIMEOUT_SECONDS'
  | 'REGISTRY_MAX_RETRY_AFTER_SECONDS'
  | 'REGISTRY_RETRY_WAIT_BUDGET_SECONDS'
  | 'OBSERVE_TIMEOUT_SECONDS';

/**
 * `host[:port]` as a registry host may be written: DNS labels or an IPv4 address, or a bracketed IPv6
 * address, and an optional port. Nothing else: no spaces, `;`, backticks, quotes, slashes or newlines.
 */
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;

export function isRegistryHost(text: string): boolean {
  return text.length <= 255 && HOST.test(text);
}

/**
 * Time to wait after a 429/503, shared by every registry call of one sync: once spent, a throttled call
 * fails at once (the manifest is retried next sync) instead of holding the sync.
 */
export class WaitBudget {
  private left: number;
  constructor(readonly totalMs: number) {
    this.left = totalMs;
  }
  /** Takes `ms` from the budget; false (and nothing taken) when it does not hold that much. */
  take(ms: number): boolean {
    if (ms > this.left) return false;
    this.left -= ms;
    return true;
  }
  remaining(): number {
    return this.left;
  }
}

/** Tag-list pages left to read in one sync. */
export class PageBudget {
  private left: number;
  constructor(readonly total: number) {
    this.left = total;
  }
  /** Takes one page; false when none is left. */
  take(): boolean {
    if (this.left <= 0) return false;
    this.left--;
    return true;
  }
}

/**
 * What one sync's registry calls share: the limits, the wait budget, the tag-list page budget, and the tag
 * lists read so far (by repository and by who asked: see RegistryClient.listTagsDetailed), so that manifests
 * on one repository read its list once per sync.
 */
export interface RegistryPolicy {
  limits: RegistryLimits;
  budget: WaitBudget;
  tagPages: PageBudget;
  tagLists: Map<string, Promise<unknown>>;
}

export function registryPolicy(limits: RegistryLimits = DEFAULT_REGISTRY_LIMITS): RegistryPolicy {
  return {
    limits,
    budget: new WaitBudget(limits.retryWaitBudgetMs),
    tagPages: new PageBudget(limits.tagPagesPerSync),
    tagLists: new Map(),
  };
}

/** The abort reason as an Error (AbortSignal.timeout's DOMException included). */
export function abortReason(signal: AbortSignal, fallback: string): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : fallback);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal, 'aborted'));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!, 'aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
