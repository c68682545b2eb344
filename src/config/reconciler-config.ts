import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DURATION_EXAMPLES, parseDuration } from '../core/duration.js';
import { ImageGitopsError } from '../core/errors.js';
import { type GitCredentials, gitCredentialsFromEnv } from './git-credentials.js';
import { type ObservabilitySettings, observabilityFromEnv } from './observability.js';
import { type Settings, settingsFromEnv } from './settings.js';
import { checkSettingsEnv, setting } from './settings-schema.js';

/** Everything the reconciler is told at start-up; read from the environment (a ConfigMap and Secrets). */
export interface ReconcilerConfig {
  git: {
    url: string;
    branch?: string;
    tag?: string;
    commit?: string;
    path: string;
    cacheDir: string;
    credentials?: GitCredentials;
    timeoutMs: number;
    maxFileBytes: number;
  };
  /** Where objects go when a manifest names no namespace, and where status and the lease live. */
  namespace: string;
  kubeconfigPath?: string;
  /** Interval like `5m` or a cron expression. */
  schedule: string;
  prune: { enabled: boolean; maxShare: number; allowMassPrune: boolean };
  applyConcurrency: number;
  /** How often a sync reuses nothing of the sync before (FULL_SYNC_INTERVAL); 0: every sync. */
  fullSyncIntervalMs: number;
  /** Keep what this instance owns by watches (WATCH_OWNED); the daemon only: one-shot runs list. */
  watchOwned: boolean;
  http: { host: string; port: number };
  webhookSecret?: string;
  leaderElection: { enabled: boolean; leaseName: string; leaseDurationSeconds: number; identity: string };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  settings: Settings;
  /** Sync history, status page, notifier (observability.ts). */
  observability: ObservabilitySettings;
}

function fromFileOrEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) return readFileSync(file, 'utf8').trim();
  return env[name] || undefined;
}

export function configFromEnv(env: Record<string, string | undefined>): ReconcilerConfig {
  const url = env.GIT_URL;
  if (!url) throw new Error('GIT_URL is required: the HTTP(S) URL of the config repository');
  // Every variable against schemas/settings.schema.json at once (those read elsewhere too); bounds and
  // defaults below are the schema's (at least 1 where 0 would mean "never", e.g. APPLY_CONCURRENCY).
  checkSettingsEnv(env);
  const namespace = env.NAMESPACE || env.POD_NAMESPACE || 'image-gitops';
  const settings = settingsFromEnv(env);
  return {
    git: {
      url,
      branch: env.GIT_BRANCH || undefined,
      tag: env.GIT_TAG || undefined,
      commit: env.GIT_COMMIT || undefined,
      path: env.GIT_PATH || '',
      cacheDir: env.GIT_CACHE_DIR || join(tmpdir(), 'image-gitops-git'),
      credentials: gitCredentialsFromEnv(env),
      timeoutMs: setting(env, 'GIT_TIMEOUT_SECONDS') * 1000,
      maxFileBytes: setting(env, 'MAX_FILE_BYTES'),
    },
    namespace,
    kubeconfigPath: env.KUBECONFIG || undefined,
    schedule: env.SYNC_SCHEDULE || env.SYNC_INTERVAL || '5m',
    prune: {
      enabled: setting(env, 'PRUNE'),
      maxShare: setting(env, 'MAX_PRUNE_SHARE'),
      allowMassPrune: setting(env, 'ALLOW_MASS_PRUNE'),
    },
    applyConcurrency: setting(env, 'APPLY_CONCURRENCY'),
    fullSyncIntervalMs: fullSyncInterval(setting(env, 'FULL_SYNC_INTERVAL')),
    watchOwned: setting(env, 'WATCH_OWNED'),
    http: parseListenAddress(setting(env, 'HTTP_ADDR')),
    webhookSecret: fromFileOrEnv(env, 'WEBHOOK_SECRET'),
    leaderElection: {
      enabled: setting(env, 'LEADER_ELECTION'),
      // One Lease per instance (as the Helm chart names it): two instances each need a leader of their own.
      leaseName: env.LEASE_NAME || defaultLeaseName(settings.instance),
      leaseDurationSeconds: setting(env, 'LEASE_DURATION_SECONDS'),
      identity: env.POD_NAME || env.HOSTNAME || `image-gitops-${process.pid}`,
    },
    logLevel: setting(env, 'LOG_LEVEL'),
    settings,
    observability: observabilityFromEnv(env),
  };
}

/** `host:port`, `:port`, a bare port or `[::1]:port`. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new Error(`listen address must be host:port, :port or port, got "${text}"`);
  return { host: match[1] || '0.0.0.0', port };
}

/** FULL_SYNC_INTERVAL in the one duration grammar; `0` (or `0s`) for a full pass every sync. */
function fullSyncInterval(text: string): number {
  if (/^0+(ms|s|m|h|d|w)?$/.test(text.trim())) return 0;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new ImageGitopsError(
      'CONFIG',
      `FULL_SYNC_INTERVAL="${text}" is not a duration (${DURATION_EXAMPLES}) or 0`,
    );
  return ms;
}

/** `image-gitops-leader` for the default instance (as installs have it), `image-gitops-leader-<instance>` else. */
export function defaultLeaseName(instance: string): string {
  return instance === 'default' ? 'image-gitops-leader' : `image-gitops-leader-${instance}`;
}
