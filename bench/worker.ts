// One benchmark task in its own node process, so that its peak memory is its own (as a child kubectl's or
// git's is): `node --expose-gc --import tsx bench/worker.ts '<task json>'`. Prints one JSON line.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { configFromEnv } from '../src/config/reconciler-config.js';
import { DEFAULT_SETTINGS } from '../src/config/settings.js';
import type { CommitInfo } from '../src/core/commit.js';
import type { KubeObject } from '../src/core/kube-object.js';
import { Reconciler } from '../src/engine/reconciler.js';
import { renderManifests } from '../src/engine/render-manifests.js';
import { observeImageSync } from '../src/kinds/image-sync/observe.js';
import { renderImageSync } from '../src/kinds/image-sync/render.js';
import { loadManifests } from '../src/kinds/registry.js';
import { KubeClient } from '../src/kube/client.js';
import { SchemaValidator } from '../src/manifests/schema-validator.js';
import { GitSource } from '../src/source/git-source.js';
import type { SyncReport } from '../src/status/types.js';
import { generateRepo, offlineObserveContext } from './generate.js';
import { measureHere } from './measure.js';
import {
  BENCH_USER_AGENT,
  type ImageSyncTask,
  type StepResult,
  type WorkerResult,
  type WorkerTask,
} from './tasks.js';

const BENCH_COMMIT: CommitInfo = {
  sha: '0123456789abcdef0123456789abcdef01234567',
  author: 'Bench',
  date: '2024-01-01T00:00:00.000Z',
  message: 'bench',
};

async function step(name: string, work: () => Promise<Record<string, unknown>>): Promise<StepResult> {
  const from = Date.now();
  const { value, measurement } = await measureHere(work);
  return { step: name, measurement, window: { from, to: Date.now() }, details: value };
}

async function renderTask(size: number): Promise<StepResult[]> {
  const files = generateRepo(size);
  // Schemas are compiled once per process by the validator; compile them before timing, as a daemon has.
  const validator = new SchemaValidator();
  loadManifests(generateRepo(8), validator);
  let loaded = loadManifests([], validator);
  const parse = await step('parse+validate', async () => {
    loaded = loadManifests(files, validator);
    return { manifests: loaded.manifests.length, invalid: loaded.invalid.length };
  });
  if (loaded.invalid.length > 0 || loaded.manifests.length !== size) {
    throw new Error(`generated manifests did not load: ${JSON.stringify(loaded.invalid.slice(0, 3))}`);
  }
  const render = await step('render', async () => {
    const rendered = await renderManifests({
      manifests: loaded.manifests,
      live: [],
      commit: BENCH_COMMIT,
      namespace: 'bench',
      settings: DEFAULT_SETTINGS,
      files: new Map(),
      observeContext: offlineObserveContext(DEFAULT_SETTINGS),
    });
    const failed = rendered.filter((r) => r.problems.length > 0);
    if (failed.length > 0) throw new Error(`render failed: ${JSON.stringify(failed[0]?.problems)}`);
    return { objects: rendered.reduce((n, r) => n + r.objects.length, 0) };
  });
  return [parse, render];
}

async function sourceTask(url: string, cacheDir: string): Promise<StepResult[]> {
  const source = new GitSource({ url, cacheDir });
  return [
    await step('source', async () => {
      const snapshot = await source.snapshotAt(await source.resolveRemoteCommit());
      return { files: snapshot.files.length, fetched: snapshot.fetched, sha: snapshot.commit.sha };
    }),
  ];
}

function syncDetails(report: SyncReport): Record<string, unknown> {
  if (report.result === 'Failed' || report.result === 'PartiallyFailed') {
    throw new Error(
      `sync ${report.result}: ${JSON.stringify(report.error ?? report.manifests.find((m) => m.problems.length))}`,
    );
  }
  return {
    result: report.result,
    counts: report.counts,
    fetchSkipped: report.fetchSkipped,
    commit: report.commit,
    ...(report.rendersReused === undefined ? {} : { rendersReused: report.rendersReused }),
    ...(report.collectionsListed === undefined ? {} : { collectionsListed: report.collectionsListed }),
    ...(report.stepSeconds ? { stepSeconds: report.stepSeconds } : {}),
  };
}

/** Asks the parent (bench/run.ts) to do `what` and waits for its answer, one line each way. */
async function askParent(what: string): Promise<string> {
  process.stdout.write(`${JSON.stringify({ waiting: what })}\n`);
  const lines = createInterface({ input: process.stdin });
  try {
    for await (const line of lines) return line;
  } finally {
    lines.close();
  }
  throw new Error(`stdin closed while waiting for: ${what}`);
}

async function engineTask(env: Record<string, string>, change: boolean): Promise<StepResult[]> {
  const config = configFromEnv(env);
  const kube = KubeClient.fromKubeconfig(config.kubeconfigPath, { userAgent: BENCH_USER_AGENT });
  // Wired as the daemon wires it: owned objects kept by watches unless WATCH_OWNED=false.
  const reconciler = new Reconciler({ config, kube, watchOwned: config.watchOwned });
  const restarted = new Reconciler({ config, kube, watchOwned: config.watchOwned });
  try {
    const steps = [
      await step('first sync', async () => syncDetails(await reconciler.sync('manual'))),
      // The status stored by the first sync names what that pass did; the next one settles it once.
      await step('second sync', async () => syncDetails(await reconciler.sync('manual'))),
    ];
    // A running daemon's watches are synced long before its next sync; the wait is not part of any step's time.
    await reconciler.owned.untilSynced(60_000);
    steps.push(await step('no-op sync', async () => syncDetails(await reconciler.sync('manual'))));
    await reconciler.close();
    // A restarted pod: same cluster and git cache, nothing parsed yet.
    steps.push(
      await step('no-op sync after restart', async () => syncDetails(await restarted.sync('startup'))),
    );
    if (change) {
      await restarted.owned.untilSynced(60_000);
      // The running (restarted) process sees a new commit that changes one manifest's file, as after a push.
      const sha = await askParent('commit changing one manifest');
      steps.push(
        await step('one manifest changed', async () => {
          const details = syncDetails(await restarted.sync('webhook'));
          const commit = details.commit as CommitInfo | undefined;
          if (commit?.sha !== sha) throw new Error(`synced ${commit?.sha}, expected the pushed ${sha}`);
          return details;
        }),
      );
    }
    return steps;
  } finally {
    await reconciler.close();
    await restarted.close();
    kube.close();
  }
}

/** Observe + render of one ImageSync, as the engine calls the kind (no Secrets: the registries are open). */
async function imageSyncTask(task: ImageSyncTask): Promise<StepResult[]> {
  const settings = { ...DEFAULT_SETTINGS, imageSync: { ...DEFAULT_SETTINGS.imageSync, ...task.bounds } };
  const live = task.liveFile ? (JSON.parse(readFileSync(task.liveFile, 'utf8')) as KubeObject[]) : [];
  let objects: KubeObject[] = [];
  const round = await step('observe+render', async () => {
    const observed = await observeImageSync(task.manifest, {
      namespace: task.namespace,
      settings,
      live,
      readSecret: async () => undefined,
      listObjects: async () => [],
    });
    objects = renderImageSync(task.manifest, {
      namespace: task.namespace,
      settings,
      commit: BENCH_COMMIT,
      live,
      observed,
    });
    return {
      matched: observed.matched,
      upToDate: observed.upToDate,
      pending: observed.pending.length,
      message: observed.message,
      objects: objects.length,
    };
  });
  writeFileSync(task.outFile, JSON.stringify(objects));
  return [round];
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
  const startupMs = performance.now();
  const steps =
    task.task === 'render'
      ? await renderTask(task.size)
      : task.task === 'source'
        ? await sourceTask(task.url, task.cacheDir)
        : task.task === 'engine'
          ? await engineTask(task.env, task.change ?? false)
          : await imageSyncTask(task);
  const result: WorkerResult = { startupMs, steps };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
