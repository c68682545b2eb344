#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { configFromEnv, type ReconcilerConfig } from '../config/reconciler-config.js';
import { formatProblem } from '../core/errors.js';
import { createLogger } from '../core/logger.js';
import { maskSecrets } from '../core/secret-mask.js';
import { Reconciler } from '../engine/reconciler.js';
import { loadManifests } from '../kinds/registry.js';
import { KubeClient } from '../kube/client.js';
import { LocalSource, readLocalFiles } from '../source/local-source.js';
import { StatusStore } from '../status/store.js';
import { diffOutput } from './diff.js';
import { formatIgnored, formatManifest, formatProblems, formatReport } from './format.js';
import { formatHistory } from './history.js';
import { runDaemon } from './run.js';

const USAGE = `image-gitops: container-image operations on Kubernetes from Git

Usage:
  image-gitops validate <dir> [--output json]
      Check every manifest under <dir> (no cluster needed). Exit 1 when any is invalid.
  image-gitops diff [--dir <dir>] [--output json|markdown]
      What a sync would do against the cluster in the kubeconfig (the sync's pipeline, every write a
      server-side dry-run). Exit 0 no change, 1 changes, 2 an error (cluster unreachable, invalid
      manifest, a dry-run the server refused). --output markdown: for a pull request.
  image-gitops sync --once [--dir <dir>] [--allow-mass-prune] [--output json]
      Run one sync now and print what was applied.
  image-gitops status [--output json]
      The stored per-manifest status (commit, author, result, objects).
  image-gitops history [--output json]
      The last syncs that changed something, newest first (commit, author, trigger, result, duration, counts).
  image-gitops run
      The long-running reconciler (schedule, webhook, health, metrics, leader election).
  image-gitops trigger [--url http://127.0.0.1:8080]
      Ask the running reconciler for a sync now (it never overlaps one in progress). Needs WEBHOOK_SECRET.

Without --dir, the repository comes from GIT_URL (GIT_BRANCH, GIT_PATH, ...); see the README for every
setting. --kubeconfig <path> and --namespace <ns> override KUBECONFIG and NAMESPACE.`;

/** `markdown` is the diff's (for a pull request); the other commands print text for it. */
type Output = 'text' | 'json' | 'markdown';

/** Every command's output goes through here: JSON with any Secret in it masked (src/core/secret-mask.ts). */
function print(output: Output, json: unknown, text: string): void {
  process.stdout.write(output === 'json' ? `${JSON.stringify(maskSecrets(json), null, 2)}\n` : `${text}\n`);
}

function loadConfig(values: Record<string, unknown>): ReconcilerConfig {
  const env = { ...process.env };
  if (values.dir && !env.GIT_URL) env.GIT_URL = `file://${values.dir as string}`;
  if (values.kubeconfig) env.KUBECONFIG = values.kubeconfig as string;
  if (values.namespace) env.NAMESPACE = values.namespace as string;
  return configFromEnv(env);
}

function makeReconciler(
  config: ReconcilerConfig,
  values: Record<string, unknown>,
): { reconciler: Reconciler; kube: KubeClient } {
  const kube = KubeClient.fromKubeconfig(config.kubeconfigPath);
  const logger = createLogger({ level: config.logLevel, write: (line) => process.stderr.write(`${line}\n`) });
  const source = values.dir ? new LocalSource(values.dir as string) : undefined;
  return { reconciler: new Reconciler({ config, kube, logger, ...(source ? { source } : {}) }), kube };
}

async function validate(
  dir: string | undefined,
  output: Output,
  values: Record<string, unknown>,
): Promise<number> {
  if (!dir) throw new Error('validate needs a folder: image-gitops validate <dir>');
  const { files, problems, ignored: notRead } = await readLocalFiles(dir);
  // The reconciler's namespace, where manifests without one go: as the sync fills it in.
  const defaultNamespace =
    (values.namespace as string | undefined) ||
    process.env.NAMESPACE ||
    process.env.POD_NAMESPACE ||
    'image-gitops';
  const loaded = loadManifests(files, undefined, { defaultNamespace });
  const ignored = [...notRead, ...loaded.ignored];
  const all = [...problems, ...loaded.fileProblems, ...loaded.invalid.flatMap((i) => i.problems)];
  const json = {
    valid: all.length === 0,
    manifests: loaded.manifests.map((m) => ({ key: m.key, file: m.origin.file, line: m.origin.line })),
    problems: all,
    ignored,
  };
  const text = [
    ...loaded.manifests.map((m) => `✔ ${m.key} (${m.origin.file}:${m.origin.line})`),
    ...all.map((p) => `✘ ${formatProblem(p)}`),
    ...ignored.map((i) => `- ignored ${formatIgnored(i)}`),
    `${loaded.manifests.length} valid, ${loaded.invalid.length} invalid manifest(s), ${problems.length + loaded.fileProblems.length} file problem(s), ${ignored.length} ignored`,
  ].join('\n');
  print(output, json, text);
  return all.length === 0 ? 0 : 1;
}

/**
 * The sync's own pipeline with a dry-run writer: each change is the one a sync would make, its "after" the
 * API server's answer to a server-side dry-run, its refusal an error. Exit codes as `kubectl diff`: 0 no
 * change, 1 changes, 2 an error (cluster unreachable, invalid manifest, a dry-run the server refused).
 */
async function diff(values: Record<string, unknown>, output: Output): Promise<number> {
  const config = loadConfig(values);
  const { reconciler, kube } = makeReconciler(config, values);
  try {
    const outcome = await reconciler.run('cli', { dryRun: true });
    const shown = diffOutput({
      report: outcome.report,
      changes: outcome.changes ?? [],
      imagePlans: outcome.rendered.flatMap((r) =>
        r.imagePlan ? [{ manifest: r.manifest.key, ...r.imagePlan }] : [],
      ),
    });
    print(output, shown.json, output === 'markdown' ? shown.markdown : shown.text);
    return shown.exitCode;
  } finally {
    kube.close();
  }
}

async function syncOnce(values: Record<string, unknown>, output: Output): Promise<number> {
  const config = loadConfig(values);
  const { reconciler, kube } = makeReconciler(config, values);
  try {
    const { report } = await reconciler.run('cli', { allowMassPrune: values['allow-mass-prune'] === true });
    print(output, report, formatReport(report, values.verbose === true));
    return report.result === 'Failed' ? 2 : report.result === 'PartiallyFailed' ? 1 : 0;
  } finally {
    kube.close();
  }
}

/** The stored status, read from the cluster in the kubeconfig (no repository needed). */
async function loadStoredState(values: Record<string, unknown>) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    GIT_URL: process.env.GIT_URL ?? 'unused',
  };
  if (values.kubeconfig) env.KUBECONFIG = values.kubeconfig as string;
  if (values.namespace) env.NAMESPACE = values.namespace as string;
  const config = configFromEnv(env);
  const kube = KubeClient.fromKubeconfig(config.kubeconfigPath);
  try {
    return { config, state: await new StatusStore(kube, config.namespace, config.settings.instance).load() };
  } finally {
    kube.close();
  }
}

async function history(values: Record<string, unknown>, output: Output): Promise<number> {
  const { state } = await loadStoredState(values);
  const entries = state?.history ?? [];
  print(output, { history: entries }, formatHistory(entries));
  return 0;
}

async function status(values: Record<string, unknown>, output: Output): Promise<number> {
  const { config, state } = await loadStoredState(values);
  if (!state) {
    print(output, { manifests: [] }, `no status stored yet in ${config.namespace}`);
    return 0;
  }
  const stale = state.sourceError
    ? [`STALE since ${state.sourceError.since}: ${state.sourceError.message}`]
    : [];
  const fileProblems = state.fileProblems ?? [];
  const ignored = state.ignored ?? [];
  const failing = state.manifests.filter((m) => m.result === 'Invalid' || m.result === 'Failed');
  const text = [
    `commit ${state.commit ?? '-'}`,
    ...stale,
    ...(fileProblems.length > 0 ? ['file problems:', formatProblems(fileProblems)] : []),
    ...state.manifests.map((m) => formatManifest(m, true)),
    ...ignored.map((i) => `- ignored ${formatIgnored(i)}`),
    `${state.manifests.length} manifest(s), ${failing.length} failing, ${fileProblems.length} file problem(s), ${ignored.length} ignored`,
  ].join('\n');
  print(output, state, text);
  return failing.length > 0 || fileProblems.length > 0 || state.sourceError ? 1 : 0;
}

/** Asks a running reconciler (the leader) to sync now, authenticated with the webhook secret. */
async function trigger(values: Record<string, unknown>, output: Output): Promise<number> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    GIT_URL: process.env.GIT_URL ?? 'unused',
  };
  const secret = configFromEnv(env).webhookSecret;
  if (!secret)
    throw new Error(
      'trigger needs WEBHOOK_SECRET (or WEBHOOK_SECRET_FILE): the running reconciler checks it',
    );
  const url = new URL('/sync', (values.url as string | undefined) ?? 'http://127.0.0.1:8080');
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  print(output, { status: response.status, ...body }, `${response.status}: ${body.message ?? ''}`);
  return response.status === 202 ? 0 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o', default: 'text' },
      dir: { type: 'string' },
      once: { type: 'boolean' },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      'allow-mass-prune': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const output: Output =
    values.output === 'json'
      ? 'json'
      : values.output === 'markdown' && positionals[0] === 'diff'
        ? 'markdown'
        : 'text';
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  switch (command) {
    case 'validate':
      return validate(rest[0], output, values);
    case 'diff':
      return diff(values, output);
    case 'sync':
      if (!values.once)
        throw new Error('sync runs one sync: use `sync --once` (the reconciler loop is `run`)');
      return syncOnce(values, output);
    case 'status':
      return status(values, output);
    case 'history':
      return history(values, output);
    case 'run':
      return runDaemon(loadConfig(values));
    case 'trigger':
      return trigger(values, output);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 64;
  }
}

const invokedDirectly = process.argv[1] && /cli[/\\]main\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
