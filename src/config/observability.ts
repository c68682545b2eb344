import { readFileSync } from 'node:fs';
import type { Env } from '../core/env-settings.js';
import { setting } from './settings-schema.js';

/**
 * What the reconciler shows and tells, apart from the sync itself: the stored sync history, the status page
 * and the webhook notifier. Kept out of settings.ts (which shapes rendered objects) and read by a pure
 * function of the env record. Secrets (page token, notifier URL and signing secret) come from files only:
 * a mounted Secret, never a plain environment value that `kubectl describe` would show. Bounds and defaults
 * are schemas/settings.schema.json's.
 */
export interface ObservabilitySettings {
  /** How many syncs the stored history keeps (HISTORY_LIMIT, 1..200). */
  historyLimit: number;
  page: {
    /** Bearer token the page and its JSON need (STATUS_PAGE_TOKEN_FILE); open when unset. */
    token?: string;
    /**
     * Link to a file of the config repo at a commit (STATUS_PAGE_SOURCE_URL), with `{commit}`, `{path}` and
     * `{line}`: GitHub `https://github.com/org/repo/blob/{commit}/{path}#L{line}`, GitLab
     * `https://gitlab.com/org/repo/-/blob/{commit}/{path}#L{line}`, Gitea `https://gitea.example/org/repo/src/commit/{commit}/{path}#L{line}`.
     */
    sourceUrl?: string;
    /** Seconds between the page's own reloads (STATUS_PAGE_REFRESH_SECONDS; 0: never). */
    refreshSeconds: number;
  };
  notify?: NotifierSettings;
}

export interface NotifierSettings {
  /** Where to POST (NOTIFY_WEBHOOK_URL_FILE): a Slack incoming-webhook URL holds its secret in its path. */
  url: string;
  /** `slack` (Slack-compatible `text` and `blocks`) or `json` (our own body) (NOTIFY_WEBHOOK_FORMAT). */
  format: 'slack' | 'json';
  /** Signs the body as `X-Image-Gitops-Signature: sha256=<HMAC>` (NOTIFY_WEBHOOK_SECRET_FILE). */
  secret?: string;
  /** Attempts per notification after the first (NOTIFY_WEBHOOK_RETRIES, 0..10). */
  retries: number;
  /** Bound on one attempt (NOTIFY_WEBHOOK_TIMEOUT_SECONDS). */
  timeoutMs: number;
}

/** A secret from a mounted file; a missing file stops the start-up rather than silently opening the page. */
function secretFile(env: Env, name: string): string | undefined {
  const path = env[name];
  if (!path) return undefined;
  const value = readFileSync(path, 'utf8').trim();
  if (!value) throw new Error(`${name} names an empty file (${path})`);
  return value;
}

function sourceUrl(env: Env): string | undefined {
  const template = env.STATUS_PAGE_SOURCE_URL?.trim();
  if (!template) return undefined;
  if (!/^https?:\/\//.test(template) || !template.includes('{path}'))
    throw new Error(
      `STATUS_PAGE_SOURCE_URL must be an http(s) URL with {path} (and {commit}, {line}), got "${template}"`,
    );
  return template;
}

function notifier(env: Env): NotifierSettings | undefined {
  const url = secretFile(env, 'NOTIFY_WEBHOOK_URL_FILE');
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) throw new Error('NOTIFY_WEBHOOK_URL_FILE must hold an http(s) URL');
  const format = setting(env, 'NOTIFY_WEBHOOK_FORMAT');
  const secret = secretFile(env, 'NOTIFY_WEBHOOK_SECRET_FILE');
  return {
    url,
    format,
    ...(secret ? { secret } : {}),
    retries: setting(env, 'NOTIFY_WEBHOOK_RETRIES'),
    timeoutMs: setting(env, 'NOTIFY_WEBHOOK_TIMEOUT_SECONDS') * 1000,
  };
}

export function observabilityFromEnv(env: Env): ObservabilitySettings {
  const token = secretFile(env, 'STATUS_PAGE_TOKEN_FILE');
  const source = sourceUrl(env);
  const notify = notifier(env);
  return {
    historyLimit: setting(env, 'HISTORY_LIMIT'),
    page: {
      ...(token ? { token } : {}),
      ...(source ? { sourceUrl: source } : {}),
      refreshSeconds: setting(env, 'STATUS_PAGE_REFRESH_SECONDS'),
    },
    ...(notify ? { notify } : {}),
  };
}
