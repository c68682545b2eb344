// Issue 3's benchmark: render throughput at 1,000 and 10,000 manifests, then, on a real control plane and
// a loopback git server, the engine side by side with kubectl and git on the same objects and repo; and image
// copies (ImageSync) side by side with skopeo sync alone, on loopback registries (skopeo.ts).
//   npx tsx bench/run.ts [--sizes 1000,10000] [--apply 1000] [--repeat 3] [--tags 50] [--no-skopeo]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { configFromEnv } from '../src/config/reconciler-config.js';
import type { CommitInfo } from '../src/core/commit.js';
import { renderManifests } from '../src/engine/render-manifests.js';
import { loadManifests } from '../src/kinds/registry.js';
import { type ControlPlane, startControlPlane } from '../test/support/control-plane.js';
import { startGitServer, type TestGitServer } from '../test/support/git-server.js';
import { stopAllTracked } from '../test/support/processes.js';
import { makeTempDir } from '../test/support/tmp.js';
import { generateRepo, offlineObserveContext, repoFiles } from './generate.js';
import { type Measurement, measureChild } from './measure.js';
import { formatTable, type Row, timeRatio } from './report.js';
import { skopeoRows } from './skopeo.js';
import { BENCH_USER_AGENT, type StepResult, type WorkerResult, type WorkerTask } from './tasks.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(benchDir, '..');

function options() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1000,10000' },
      apply: { type: 'string', default: '1000' },
      repeat: { type: 'string', default: '3' },
      compiled: { type: 'boolean', default: false },
      tags: { type: 'string', default: '50' },
      'no-skopeo': { type: 'boolean', default: false },
    },
  });
  const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
  const apply = Number(values.apply);
  const repeat = Number(values.repeat);
  const tags = Number(values.tags);
  if (
    sizes.some((s) => !Number.isInteger(s) || s <= 0) ||
    !(apply > 0) ||
    !(repeat > 0) ||
    !Number.isInteger(tags) ||
    tags <= 0
  ) {
    throw new Error(
      'usage: bench/run.ts [--sizes 1000,10000] [--apply 1000] [--repeat 3] [--compiled] [--tags 50] [--no-skopeo]',
    );
  }
  return { sizes, apply, repeat, compiled: values.compiled, tags, skopeo: !values['no-skopeo'] };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** The worker through tsx (default), or the build of `npm run build` (dist/), as the daemon runs. */
let workerArgs = ['--expose-gc', '--import', 'tsx', join(benchDir, 'worker.ts')];

function useCompiledWorker(): void {
  const compiled = join(repoRoot, 'dist', 'bench', 'worker.js');
  if (!existsSync(compiled)) throw new Error(`${compiled} not found: run \`npm run build\` first`);
  workerArgs = ['--expose-gc', compiled];
}

function workerRuntime(): string {
  return workerArgs.includes('tsx') ? 'through tsx' : 'compiled JS from dist/';
}

async function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const run = await measureChild(process.execPath, [...workerArgs, JSON.stringify(task)], { cwd: repoRoot });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as WorkerResult;
}

function stepNamed(result: WorkerResult, name: string): StepResult {
  const step = result.steps.find((s) => s.step === name);
  if (!step) throw new Error(`worker result has no step ${name}`);
  return step;
}

async function renderRows(size: number): Promise<Row[]> {
  log(`render ${size} manifests`);
  const result = await runWorker({ task: 'render', size });
  const parse = stepNamed(result, 'parse+validate');
  const render = stepNamed(result, 'render');
  const label = size.toLocaleString('en-US');
  return [
    {
      operation: `parse+validate ${label} manifests`,
      imageGitops: {
        what: 'loadManifests',
        measurement: parse.measurement,
        perSecond: size / (parse.measurement.ms / 1000),
      },
    },
    {
      operation: `render ${label} manifests`,
      imageGitops: {
        what: 'renderManifests',
        measurement: render.measurement,
        perSecond: size / (render.measurement.ms / 1000),
      },
      note: `${render.details.objects} objects`,
    },
  ];
}

/** Requests in the audit log from a user agent, within a time window or after a mark. */
function countRequests(
  cp: ControlPlane,
  agentPrefix: string,
  filter: { window?: { from: number; to: number }; since?: number },
) {
  const events = cp.auditEvents().slice(filter.since ?? 0);
  const matching = events.filter((e) => {
    if (!e.userAgent?.startsWith(agentPrefix)) return false;
    if (!filter.window) return true;
    const at = Date.parse((e as unknown as { requestReceivedTimestamp: string }).requestReceivedTimestamp);
    return at >= filter.window.from && at <= filter.window.to;
  });
  return {
    total: matching.length,
    writes: matching.filter((e) => !['get', 'list', 'watch'].includes(e.verb)).length,
  };
}

function median<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function gitRow(url: string, repeat: number): Promise<Row> {
  const engine: Measurement[] = [];
  const native: Measurement[] = [];
  let files = 0;
  for (let i = 0; i < repeat; i++) {
    log(`git source, run ${i + 1}/${repeat}`);
    const source = stepNamed(
      await runWorker({ task: 'source', url, cacheDir: join(makeTempDir('bench-cache'), 'repo') }),
      'source',
    );
    engine.push(source.measurement);
    files = Number(source.details.files);
    const target = join(makeTempDir('bench-clone'), 'repo');
    native.push(
      (await measureChild('git', ['clone', '--quiet', '--depth', '1', '--branch', 'main', url, target]))
        .measurement,
    );
  }
  return {
    operation: `git: fetch ${files} files at the tip`,
    imageGitops: {
      what: 'GitSource (isomorphic-git shallow fetch + read files into memory)',
      measurement: median(engine, (m) => m.ms),
    },
    baseline: { what: 'git clone --depth 1 (with checkout)', measurement: median(native, (m) => m.ms) },
    note: `median of ${repeat} runs, each into an empty folder`,
  };
}

async function kubectlApply(cp: ControlPlane, file: string, cacheDir: string) {
  const mark = cp.auditEvents().length;
  const run = await measureChild('kubectl', [
    'apply',
    '--server-side',
    '--field-manager',
    'bench',
    '-f',
    file,
    '--kubeconfig',
    cp.kubeconfigPath,
    '--cache-dir',
    cacheDir,
  ]);
  const applied = run.stdout.split('\n').filter((l) => l.includes('serverside-applied')).length;
  return { measurement: run.measurement, applied, requests: countRequests(cp, 'kubectl', { since: mark }) };
}

/** The engine's objects for these manifests, rendered into another namespace, as one YAML file. */
async function writeKubectlFile(
  apply: number,
  env: Record<string, string>,
  namespace: string,
  commit: CommitInfo,
) {
  const settings = configFromEnv(env).settings;
  const loaded = loadManifests(generateRepo(apply));
  const rendered = await renderManifests({
    manifests: loaded.manifests,
    live: [],
    commit,
    namespace,
    settings,
    files: new Map(),
    observeContext: offlineObserveContext(settings),
  });
  const objects = rendered.flatMap((r) => r.objects);
  const file = join(makeTempDir('bench-kubectl'), 'objects.yaml');
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return { file, objects: objects.length };
}

async function clusterRows(
  cp: ControlPlane,
  git: TestGitServer,
  apply: number,
  repeat: number,
): Promise<Row[]> {
  log(`push ${apply} manifests to the git server`);
  const url = await git.createRepo('bench', repoFiles(generateRepo(apply)));
  const rows: Row[] = [await gitRow(url, repeat)];

  const engineNs = await cp.newNamespace('bench-engine');
  const env = {
    GIT_URL: url,
    NAMESPACE: engineNs,
    KUBECONFIG: cp.kubeconfigPath,
    GIT_CACHE_DIR: join(makeTempDir('bench-engine-cache'), 'repo'),
    IMAGE_GITOPS_INSTANCE: 'bench',
    ...(process.env.APPLY_CONCURRENCY ? { APPLY_CONCURRENCY: process.env.APPLY_CONCURRENCY } : {}),
  };
  log(`engine: first sync, then no-op syncs, into ${engineNs}`);
  const engine = await runWorker({ task: 'engine', env });
  const engineSide = (name: string) => {
    const step = stepNamed(engine, name);
    return { step, requests: countRequests(cp, BENCH_USER_AGENT, { window: step.window }) };
  };
  const first = engineSide('first sync');
  const second = engineSide('second sync');
  const noop = engineSide('no-op sync');
  const restart = engineSide('no-op sync after restart');
  const counts = first.step.details.counts as { applied: number };

  const kubectlNs = await cp.newNamespace('bench-kubectl');
  const { file, objects } = await writeKubectlFile(
    apply,
    env,
    kubectlNs,
    first.step.details.commit as CommitInfo,
  );
  if (objects !== counts.applied)
    throw new Error(`the engine applied ${counts.applied} objects, kubectl would apply ${objects}`);
  const kubectlCache = makeTempDir('bench-kubectl-cache');
  log(`kubectl: apply ${objects} objects into ${kubectlNs}, twice`);
  const kubectlFirst = await kubectlApply(cp, file, kubectlCache);
  const kubectlAgain = await kubectlApply(cp, file, kubectlCache);
  if (kubectlFirst.applied !== objects)
    throw new Error(`kubectl applied ${kubectlFirst.applied} of ${objects} objects`);

  const kubectlSide = (run: typeof kubectlFirst, what: string) => ({
    what,
    measurement: run.measurement,
    requests: run.requests,
  });
  const perSecond = (ms: number) => objects / (ms / 1000);
  const engineConcurrency = configFromEnv(env).applyConcurrency;
  rows.push(
    {
      operation: `first apply, ${objects} objects`,
      imageGitops: {
        what: `Reconciler.sync (fetch, parse, render, plan, apply with concurrency ${engineConcurrency}, status)`,
        measurement: first.step.measurement,
        requests: first.requests,
        perSecond: perSecond(first.step.measurement.ms),
      },
      baseline: {
        ...kubectlSide(
          kubectlFirst,
          'kubectl apply --server-side -f (rendered objects, cold discovery cache)',
        ),
        perSecond: perSecond(kubectlFirst.measurement.ms),
      },
    },
    {
      operation: 'second sync (settles stored status)',
      imageGitops: {
        what: 'Reconciler.sync, same process',
        measurement: second.step.measurement,
        requests: second.requests,
      },
      note: `result ${second.step.details.result}`,
    },
    {
      operation: 'no-op (nothing changed)',
      imageGitops: {
        what: 'Reconciler.sync, same process (remote unchanged: no fetch, no parse)',
        measurement: noop.step.measurement,
        requests: noop.requests,
      },
      baseline: kubectlSide(kubectlAgain, 'the same kubectl apply again'),
      note: `result ${noop.step.details.result}`,
    },
    {
      operation: 'no-op after a restart',
      imageGitops: {
        what: 'a new Reconciler on the same git cache (reads and parses the repo again)',
        measurement: restart.step.measurement,
        requests: restart.requests,
      },
      baseline: kubectlSide(kubectlAgain, 'the same kubectl apply again'),
      note: `result ${restart.step.details.result}; the engine worker process took ${Math.round(engine.startupMs)} ms to start (node + modules, ${workerRuntime()}), not counted above`,
    },
  );
  return rows;
}

async function main(): Promise<void> {
  const { sizes, apply, repeat, compiled, tags, skopeo } = options();
  if (compiled) useCompiledWorker();
  const rows: Row[] = [];
  for (const size of sizes) rows.push(...(await renderRows(size)));

  log('start the control plane and the git server');
  let cp: ControlPlane | undefined;
  let git: TestGitServer | undefined;
  const stop = async () => {
    await git?.stop().catch(() => undefined);
    await cp?.stop().catch(() => undefined);
    // Whatever else this process started and still runs (e.g. etcd when the API server failed to start).
    await stopAllTracked();
    git = undefined;
    cp = undefined;
  };
  const onSignal = () => {
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const imageRows: Row[] = [];
  try {
    // Before the control plane, so that its processes do not share the CPUs; the rows go last in the table.
    if (skopeo) imageRows.push(...(await skopeoRows({ tags, runWorker, log })));
    cp = await startControlPlane();
    git = await startGitServer();
    rows.push(...(await clusterRows(cp, git, apply, repeat)));
  } finally {
    log('stop the control plane and the git server');
    await stop();
  }
  rows.push(...imageRows);

  const tools = {
    node: process.version,
    kubectl: execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).split('\n')[0],
    git: execFileSync('git', ['--version'], { encoding: 'utf8' }).trim(),
    ...(skopeo ? { skopeo: execFileSync('skopeo', ['--version'], { encoding: 'utf8' }).trim() } : {}),
    worker: workerRuntime(),
  };
  const table = `${Object.entries(tools)
    .map(([k, v]) => `${k}: ${v}`)
    .join(' | ')}, ${cpus().length} CPUs\n\n${formatTable(rows)}`;
  process.stdout.write(`${table}\n`);
  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    date: new Date().toISOString(),
    tools,
    machine: { cpus: cpus().length, memoryBytes: totalmem() },
    options: { sizes, apply, repeat, compiled, tags: skopeo ? tags : undefined, skopeo },
    rows: rows.map((row) => ({ ...row, timeRatio: timeRatio(row) })),
    table,
  };
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  log(`written ${join(resultsDir, 'latest.json')}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
