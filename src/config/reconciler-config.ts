import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wholeNumberSetting } from '../core/env-settings.js';
import { type GitCredentials, gitCredentialsFromEnv } from './git-credentials.js';
import { type ObservabilitySettings, observabilityFromEnv } from './observability.js';
import { type Settings, settingsFromEnv } from './settings.js';

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

function number(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

/** Counts and durations that must be at least 1 (APPLY_CONCURRENCY=0 would apply nothing and wait forever). */
const AT_LEAST_ONE = { min: 1 };

function bool(env: Record<string, string | undefined>, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

export function configFromEnv(env: Record<string, string | undefined>): ReconcilerConfig {
  const url = env.GIT_URL;
  if (!url) throw new Error('GIT_URL is required: the HTTP(S) URL of the config repository');
  const namespace = env.NAMESPACE || env.POD_NAMESPACE || 'image-gitops';
  const logLevel = (env.LOG_LEVEL || 'info') as ReconcilerConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new Error(`LOG_LEVEL must be debug, info, warn or error`);
  const maxShare = number(env, 'MAX_PRUNE_SHARE', 0.5);
  if (maxShare > 1) throw new Error('MAX_PRUNE_SHARE is a share between 0 and 1');
  return {
    git: {
      url,
      branch: env.GIT_BRANCH || undefined,
      tag: env.GIT_TAG || undefined,
      commit: env.GIT_COMMIT || undefined,
      path: env.GIT_PATH || '',
      cacheDir: env.GIT_CACHE_DIR || join(tmpdir(), 'image-gitops-git'),
      credentials: gitCredentialsFromEnv(env),
      timeoutMs: wholeNumberSetting(env, 'GIT_TIMEOUT_SECONDS', 60, AT_LEAST_ONE) * 1000,
      maxFileBytes: wholeNumberSetting(env, 'MAX_FILE_BYTES', 1024 * 1024, AT_LEAST_ONE),
    },
    namespace,
    kubeconfigPath: env.KUBECONFIG || undefined,
    schedule: env.SYNC_SCHEDULE || env.SYNC_INTERVAL || '5m',
    prune: {
      enabled: bool(env, 'PRUNE', true),
      maxShare,
      allowMassPrune: bool(env, 'ALLOW_MASS_PRUNE', false),
    },
    applyConcurrency: wholeNumberSetting(env, 'APPLY_CONCURRENCY', 8, AT_LEAST_ONE),
    http: parseListenAddress(env.HTTP_ADDR || '0.0.0.0:8080'),
    webhookSecret: fromFileOrEnv(env, 'WEBHOOK_SECRET'),
    leaderElection: {
      enabled: bool(env, 'LEADER_ELECTION', true),
      leaseName: env.LEASE_NAME || 'image-gitops-leader',
      leaseDurationSeconds: wholeNumberSetting(env, 'LEASE_DURATION_SECONDS', 15, AT_LEAST_ONE),
      identity: env.POD_NAME || env.HOSTNAME || `image-gitops-${process.pid}`,
    },
    logLevel,
    settings: settingsFromEnv(env),
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
