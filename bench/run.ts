// Issue 3's benchmark: render throughput at 1,000 and 10,000 manifests, then, on a real control plane and
// a loopback git server, the engine side by side with kubectl and git on the same objects and repo; and image
// copies (ImageSync) side by side with skopeo sync alone, on loopback registries (skopeo.ts).
//   npx tsx bench/run.ts [--sizes 1000,10000] [--apply 1000] [--repeat 3] [--tags 50] [--no-skopeo] [--full-pass]
// --full-pass: the sync rows once more with FULL_SYNC_INTERVAL=0 (every sync renders everything), side by side.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { configFromEnv } from '../src/config/reconciler-config.js';
import type { CommitInfo } from '../src/core/commit.js';
import { type KubeObject, objectKey } from '../src/core/kube-object.js';
import { renderManifests } from '../src/engine/render-manifests.js';
import { loadManifests } from '../src/kinds/registry.js';
import type { SourceFile } from '../src/manifests/types.js';
import { appliedHashOf } from '../src/render/stamp.js';
import { type ControlPlane, startControlPlane } from '../test/support/control-plane.js';
import { startGitServer, type TestGitServer } from '../test/support/git-server.js';
import { stopAllTracked } from '../test/support/processes.js';
import { makeTempDir } from '../test/support/tmp.js';
import { changeOneManifest, generateRepo, offlineObserveContext, repoFiles } from './generate.js';
import { type GitTraffic, type GitTrafficProxy, startGitTrafficProxy } from './git-traffic.js';
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
      'full-pass': { type: 'boolean', default: false },
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
      'usage: bench/run.ts [--sizes 1000,10000] [--apply 1000] [--repeat 3] [--compiled] [--tags 50] [--no-skopeo] [--full-pass]',
    );
  }
  return {
    sizes,
    apply,
    repeat,
    compiled: values.compiled,
    tags,
    skopeo: !values['no-skopeo'],
    fullPass: values['full-pass'],
  };
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

/** Long enough for kubectl or a sync of 20,000 objects on 2 shared cores (the default is 10 minutes). */
const LONG_RUN_MS = 3 * 60 * 60 * 1000;

async function runWorker(
  task: WorkerTask,
  onLine?: (line: string, reply: (text: string) => void) => void,
): Promise<WorkerResult> {
  const run = await measureChild(process.execPath, [...workerArgs, JSON.stringify(task)], {
    cwd: repoRoot,
    timeoutMs: LONG_RUN_MS,
    ...(onLine ? { onLine } : {}),
  });
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

async function gitRow(url: string, traffic: GitTrafficProxy, repeat: number): Promise<Row> {
  const engine: Measurement[] = [];
  const native: Measurement[] = [];
  let engineFetched: GitTraffic | undefined;
  let nativeFetched: GitTraffic | undefined;
  let files = 0;
  for (let i = 0; i < repeat; i++) {
    log(`git source, run ${i + 1}/${repeat}`);
    let mark = traffic.mark();
    const source = stepNamed(
      await runWorker({ task: 'source', url, cacheDir: join(makeTempDir('bench-cache'), 'repo') }),
      'source',
    );
    engineFetched = traffic.since(mark);
    engine.push(source.measurement);
    files = Number(source.details.files);
    const target = join(makeTempDir('bench-clone'), 'repo');
    mark = traffic.mark();
    native.push(
      (await measureChild('git', ['clone', '--quiet', '--depth', '1', '--branch', 'main', url, target]))
        .measurement,
    );
    nativeFetched = traffic.since(mark);
  }
  return {
    operation: `git: fetch ${files} files at the tip`,
    imageGitops: {
      what: 'GitSource (isomorphic-git shallow fetch + read files into memory)',
      measurement: median(engine, (m) => m.ms),
      ...(engineFetched ? { gitFetched: engineFetched } : {}),
    },
    baseline: {
      what: 'git clone --depth 1 (with checkout)',
      measurement: median(native, (m) => m.ms),
      ...(nativeFetched ? { gitFetched: nativeFetched } : {}),
    },
    note: `median of ${repeat} runs, each into an empty folder`,
  };
}

async function kubectlApply(cp: ControlPlane, file: string, cacheDir: string) {
  const mark = cp.auditEvents().length;
  const run = await measureChild(
    'kubectl',
    [
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
    ],
    { timeoutMs: LONG_RUN_MS },
  );
  const applied = run.stdout.split('\n').filter((l) => l.includes('serverside-applied')).length;
  return { measurement: run.measurement, applied, requests: countRequests(cp, 'kubectl', { since: mark }) };
}

/** The objects the engine renders for these files at this commit, into `namespace`. */
async function renderObjects(
  files: SourceFile[],
  env: Record<string, string>,
  namespace: string,
  commit: CommitInfo,
): Promise<KubeObject[]> {
  const settings = configFromEnv(env).settings;
  const loaded = loadManifests(files);
  const rendered = await renderManifests({
    manifests: loaded.manifests,
    live: [],
    commit,
    namespace,
    settings,
    files: new Map(),
    observeContext: offlineObserveContext(settings),
  });
  return rendered.flatMap((r) => r.objects);
}

/**
 * The engine's objects for these manifests, rendered into another namespace, as one YAML file. With `before`
 * (the objects of the commit applied before), an object whose applied hash did not change keeps the commit
 * annotation it had, as the engine leaves it: the file then holds exactly the cluster state the engine makes.
 */
async function writeKubectlFile(
  files: SourceFile[],
  env: Record<string, string>,
  namespace: string,
  commit: CommitInfo,
  before?: KubeObject[],
) {
  const rendered = await renderObjects(files, env, namespace, commit);
  const previous = new Map((before ?? []).map((o) => [objectKey(o), o]));
  let changed = 0;
  const objects = rendered.map((o) => {
    const old = previous.get(objectKey(o));
    if (old && appliedHashOf(old) === appliedHashOf(o)) return old;
    changed++;
    return o;
  });
  const file = join(makeTempDir('bench-kubectl'), 'objects.yaml');
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  return { file, objects, changed };
}

async function clusterRows(
  cp: ControlPlane,
  git: TestGitServer,
  apply: number,
  repeat: number,
  fullPass: boolean,
): Promise<Row[]> {
  log(`push ${apply} manifests to the git server`);
  const files = generateRepo(apply);
  const served = await git.createRepo('bench', repoFiles(files));
  // Every side reads git through the counting proxy.
  const traffic = await startGitTrafficProxy(git.baseUrl);
  try {
    const url = traffic.proxied(served);
    const rows: Row[] = [await gitRow(url, traffic, repeat)];
    rows.push(...(await syncRows(cp, git, traffic, url, files, fullPass)));
    return rows;
  } finally {
    await traffic.stop();
  }
}

interface EngineRun {
  env: Record<string, string>;
  result: WorkerResult;
  /** The commit the bench pushed for the one-manifest row. */
  changedSha: string;
  side(name: string): {
    step: StepResult;
    requests: { total: number; writes: number };
    gitFetched: GitTraffic;
  };
}

/**
 * One engine worker on its own repo and namespace: first sync, second, no-op, no-op after a restart, then
 * the commit changing `changed` (pushed by the bench when the worker asks). `extraEnv` sets the engine's
 * settings (FULL_SYNC_INTERVAL=0: a full pass every sync).
 */
async function runEngine(
  cp: ControlPlane,
  git: TestGitServer,
  traffic: GitTrafficProxy,
  repo: { name: string; url: string },
  changed: SourceFile,
  extraEnv: Record<string, string> = {},
): Promise<EngineRun> {
  const namespace = await cp.newNamespace('bench-engine');
  const env = {
    GIT_URL: repo.url,
    NAMESPACE: namespace,
    KUBECONFIG: cp.kubeconfigPath,
    GIT_CACHE_DIR: join(makeTempDir('bench-engine-cache'), 'repo'),
    IMAGE_GITOPS_INSTANCE: 'bench',
    ...(process.env.APPLY_CONCURRENCY ? { APPLY_CONCURRENCY: process.env.APPLY_CONCURRENCY } : {}),
    ...extraEnv,
  };
  let changedSha = '';
  // Git traffic by step: the marks are taken as the worker reports its steps' windows, so by time.
  const gitMarks: Array<{ at: number; traffic: GitTraffic }> = [];
  const gitTicker = setInterval(() => gitMarks.push({ at: Date.now(), traffic: traffic.mark() }), 20);
  const settings = Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`);
  log(
    `engine${settings.length > 0 ? ` (${settings.join(' ')})` : ''}: first sync, no-op syncs, then a commit changing ${changed.path}, into ${namespace}`,
  );
  let result: WorkerResult;
  try {
    result = await runWorker({ task: 'engine', env, change: true }, (line, reply) => {
      if (!line.startsWith('{"waiting"')) return;
      git
        .commitFiles(repo.name, { [changed.path]: changed.content }, 'bench: change one manifest')
        .then((sha) => {
          changedSha = sha;
          reply(sha);
        })
        .catch((error: unknown) => {
          log(`commit failed: ${String(error)}`);
          reply('commit failed');
        });
    });
  } finally {
    clearInterval(gitTicker);
  }
  const fetchedWithin = (window: { from: number; to: number }): GitTraffic => {
    const before = [...gitMarks].reverse().find((m) => m.at <= window.from)?.traffic ?? gitMarks[0]!.traffic;
    const after = gitMarks.find((m) => m.at >= window.to)?.traffic ?? traffic.mark();
    return { requests: after.requests - before.requests, bytes: after.bytes - before.bytes };
  };
  return {
    env,
    result,
    changedSha,
    side: (name) => {
      const step = stepNamed(result, name);
      return {
        step,
        requests: countRequests(cp, BENCH_USER_AGENT, { window: step.window }),
        gitFetched: fetchedWithin(step.window),
      };
    },
  };
}

/** What the engine's report says beyond its result: the objects' counts and the renders it reused. */
function syncNote(step: StepResult): string {
  const reused = step.details.rendersReused;
  const seconds = step.details.stepSeconds as Record<string, number> | undefined;
  const steps = seconds
    ? `; steps ${Object.entries(seconds)
        .map(([name, s]) => `${name} ${s.toFixed(2)} s`)
        .join(', ')}`
    : '';
  const listed = step.details.collectionsListed;
  return `result ${step.details.result}; ${JSON.stringify(step.details.counts)}${reused === undefined ? '' : `; renders reused ${reused}`}${listed === undefined ? '' : `; owned collections listed ${listed} (the rest from watches)`}${steps}`;
}

/** The engine's syncs side by side with kubectl applying the same objects: first, no-ops, one change. */
async function syncRows(
  cp: ControlPlane,
  git: TestGitServer,
  traffic: GitTrafficProxy,
  url: string,
  files: SourceFile[],
  fullPass: boolean,
): Promise<Row[]> {
  const changedFile = changeOneManifest(files);
  const changedFiles = files.map((f) => (f.path === changedFile.path ? changedFile : f));
  const run = await runEngine(cp, git, traffic, { name: 'bench', url }, changedFile);
  const { env, changedSha } = run;
  const engine = run.result;
  const first = run.side('first sync');
  const second = run.side('second sync');
  const noop = run.side('no-op sync');
  const restart = run.side('no-op sync after restart');
  const changed = run.side('one manifest changed');
  const counts = first.step.details.counts as { applied: number };

  const kubectlNs = await cp.newNamespace('bench-kubectl');
  const firstCommit = first.step.details.commit as CommitInfo;
  const before = await writeKubectlFile(files, env, kubectlNs, firstCommit);
  const objects = before.objects.length;
  if (objects !== counts.applied)
    throw new Error(`the engine applied ${counts.applied} objects, kubectl would apply ${objects}`);
  const after = await writeKubectlFile(
    changedFiles,
    env,
    kubectlNs,
    { ...(changed.step.details.commit as CommitInfo), sha: changedSha },
    before.objects,
  );
  const kubectlCache = makeTempDir('bench-kubectl-cache');
  log(`kubectl: apply ${objects} objects into ${kubectlNs}, twice, then the ${after.changed} changed`);
  const kubectlFirst = await kubectlApply(cp, before.file, kubectlCache);
  const kubectlAgain = await kubectlApply(cp, before.file, kubectlCache);
  const kubectlChanged = await kubectlApply(cp, after.file, kubectlCache);
  if (kubectlFirst.applied !== objects)
    throw new Error(`kubectl applied ${kubectlFirst.applied} of ${objects} objects`);

  const kubectlSide = (run: typeof kubectlFirst, what: string) => ({
    what,
    measurement: run.measurement,
    requests: run.requests,
  });
  const engineOf = (side: ReturnType<EngineRun['side']>, what: string) => ({
    what,
    measurement: side.step.measurement,
    requests: side.requests,
    gitFetched: side.gitFetched,
  });
  const perSecond = (ms: number) => objects / (ms / 1000);
  const engineConcurrency = configFromEnv(env).applyConcurrency;
  const rows: Row[] = [
    {
      operation: `first apply, ${objects} objects`,
      imageGitops: {
        ...engineOf(
          first,
          `Reconciler.sync (fetch, parse, render, plan, apply with concurrency ${engineConcurrency}, status)`,
        ),
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
      imageGitops: engineOf(second, 'Reconciler.sync, same process'),
      note: syncNote(second.step),
    },
    {
      operation: 'no-op (nothing changed)',
      imageGitops: engineOf(noop, 'Reconciler.sync, same process (remote unchanged: no fetch, no parse)'),
      baseline: kubectlSide(kubectlAgain, 'the same kubectl apply again'),
      note: syncNote(noop.step),
    },
    {
      operation: 'no-op after a restart',
      imageGitops: engineOf(
        restart,
        'a new Reconciler on the same git cache (reads and parses the repo again)',
      ),
      baseline: kubectlSide(kubectlAgain, 'the same kubectl apply again'),
      note: `${syncNote(restart.step)}; the engine worker process took ${Math.round(engine.startupMs)} ms to start (node + modules, ${workerRuntime()}), not counted above`,
    },
    {
      operation: 'a commit that changes one manifest',
      imageGitops: engineOf(
        changed,
        `the restarted Reconciler's next sync after a push changing ${changedFile.path} (one DaemonSet)`,
      ),
      baseline: kubectlSide(
        kubectlChanged,
        `kubectl apply of the changed object set (${objects} objects, ${after.changed} changed)`,
      ),
      note: `${syncNote(changed.step)}; the engine as configured (FULL_SYNC_INTERVAL default: renders reused while their inputs are unchanged)`,
    },
  ];
  if (!fullPass) return rows;
  // Today's full-pass engine on the same changes: its own copy of the repo (the commit must change the file
  // again) and its own namespace; kubectl is the same.
  const fullUrl = traffic.proxied(await git.createRepo('bench-full-pass', repoFiles(files)));
  const full = await runEngine(cp, git, traffic, { name: 'bench-full-pass', url: fullUrl }, changedFile, {
    FULL_SYNC_INTERVAL: '0',
    IMAGE_GITOPS_INSTANCE: 'bench-full-pass',
  });
  const fullRow = (operation: string, step: string, baseline: typeof kubectlFirst, what: string): Row => {
    const side = full.side(step);
    return {
      operation: `${operation}, full pass`,
      imageGitops: engineOf(side, `the same with FULL_SYNC_INTERVAL=0 (every sync renders everything)`),
      baseline: kubectlSide(baseline, what),
      note: syncNote(side.step),
    };
  };
  rows.push(
    fullRow('no-op (nothing changed)', 'no-op sync', kubectlAgain, 'the same kubectl apply again'),
    fullRow(
      'no-op after a restart',
      'no-op sync after restart',
      kubectlAgain,
      'the same kubectl apply again',
    ),
    fullRow(
      'a commit that changes one manifest',
      'one manifest changed',
      kubectlChanged,
      `kubectl apply of the changed object set (${objects} objects, ${after.changed} changed)`,
    ),
  );
  return rows;
}

async function main(): Promise<void> {
  const { sizes, apply, repeat, compiled, tags, skopeo, fullPass } = options();
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
    // The audit log is what requests are counted from: kube-apiserver rotates it at 100 MB by default, which
    // 20,000 objects pass (the last kubectl run then counted 0).
    cp = await startControlPlane({ apiServerArgs: ['--audit-log-maxsize=4096'] });
    git = await startGitServer();
    rows.push(...(await clusterRows(cp, git, apply, repeat, fullPass)));
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
    options: { sizes, apply, repeat, compiled, tags: skopeo ? tags : undefined, skopeo, fullPass },
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
