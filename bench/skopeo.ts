// Image copies: the engine's ImageSync (observe + render + the rendered Jobs' skopeo scripts, run locally as
// their pods would) side by side with `skopeo sync` alone, on loopback docker-registry processes: a source
// with N multi-arch tags, one destination per side. Three rounds: first copy, nothing new, one new tag.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubeObject } from '../src/core/kube-object.js';
import { JOB_PATHS, jobCommand } from '../src/jobs/job-template.js';
import type { ImageSyncSpec } from '../src/kinds/image-sync/spec.js';
import type { Manifest } from '../src/manifests/types.js';
import { pushTestImage, skopeoSyncArgs } from '../test/support/oci-image.js';
import { listTags, manifestDigest, startRegistry, type TestRegistry } from '../test/support/registry.js';
import { makeTempDir } from '../test/support/tmp.js';
import { formatMb, formatMs, type Measurement, measureChild } from './measure.js';
import type { Row, Side } from './report.js';
import type { ImageSyncTask, StepResult, WorkerResult, WorkerTask } from './tasks.js';

const SOURCE_REPO = 'bench/app';
/** skopeo sync puts `<src>/<repo>` at `<dest>/<prefix>/<last segment of repo>`; the engine uses the same. */
const DEST_PREFIX = 'mirror';
const DEST_REPO = `${DEST_PREFIX}/app`;
const NAMESPACE = 'bench';
const ARCHITECTURES = ['amd64', 'arm64'];
const MAX_JOBS = 10;

export interface SkopeoBenchOptions {
  tags: number;
  runWorker: (task: WorkerTask) => Promise<WorkerResult>;
  log: (message: string) => void;
}

const tagName = (i: number) => `v1.0.${i}`;

function imageSyncManifest(source: TestRegistry, destination: TestRegistry): Manifest<ImageSyncSpec> {
  return {
    key: 'ImageSync/bench-app',
    kind: 'ImageSync',
    name: 'bench-app',
    spec: {
      source: { image: `${source.host}/${SOURCE_REPO}` },
      destination: { image: `${destination.host}/${DEST_REPO}` },
      tags: { pattern: 'v1.0.x' },
      registries: [
        { host: source.host, tlsVerify: false },
        { host: destination.host, tlsVerify: false },
      ],
    },
    origin: { file: 'bench-app.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Registry HTTP requests, from the registries' access logs (combined log format, one line per request).

const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]+\] "([A-Z]+) /;

function accessMethods(registry: TestRegistry): string[] {
  const methods: string[] = [];
  for (const line of registry.logs().split('\n')) {
    const match = ACCESS_LINE.exec(line);
    if (match?.[1]) methods.push(match[1]);
  }
  return methods;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The access-log length of each registry, once the log has stopped growing (its pipe is read async). */
async function logMark(registries: readonly TestRegistry[]): Promise<number[]> {
  let previous = registries.map((r) => accessMethods(r).length);
  for (let i = 0; i < 20; i++) {
    await sleep(100);
    const now = registries.map((r) => accessMethods(r).length);
    if (now.every((n, j) => n === previous[j])) return now;
    previous = now;
  }
  return previous;
}

interface Requests {
  total: number;
  writes: number;
}

function requestsBetween(registries: readonly TestRegistry[], from: number[], to: number[]): Requests {
  const methods = registries.flatMap((r, i) => accessMethods(r).slice(from[i], to[i]));
  return {
    total: methods.length,
    writes: methods.filter((m) => !['GET', 'HEAD'].includes(m)).length,
  };
}

const addRequests = (a: Requests, b: Requests): Requests => ({
  total: a.total + b.total,
  writes: a.writes + b.writes,
});

const describeRequests = (r: Requests) => `${r.total} requests (${r.writes} writes)`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------------------------------------
// The rendered Jobs, run locally the way their pods would (as test/support/run-job.ts does), but measured.

/** Runs one Job's `/bin/sh -ec` script with its mounted Secret's files in a temp folder; GNU time's %M. */
async function runJobMeasured(job: KubeObject, objects: readonly KubeObject[]): Promise<Measurement> {
  const command = jobCommand(job);
  if (command?.[0] !== '/bin/sh' || command[1] !== '-ec' || command[2] === undefined) {
    throw new Error(`Job ${job.metadata.name} does not run a /bin/sh -ec script`);
  }
  const mountDir = makeTempDir('bench-job-files');
  const pod = (job.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
    volumes?: Array<{
      name: string;
      secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
    }>;
  };
  const volume = pod.volumes?.find((v) => v.name === 'authfile');
  if (volume?.secret) {
    const name = volume.secret.secretName;
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    if (!secret) throw new Error(`Job ${job.metadata.name} mounts Secret ${name}, which was not rendered`);
    const data = secret.data as Record<string, string>;
    for (const item of volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
      const target = join(mountDir, item.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(data[item.key] ?? '', 'base64'), { mode: 0o600 });
    }
  }
  const script = command[2].split(JOB_PATHS.authDir).join(mountDir);
  const home = makeTempDir('bench-job-home');
  const run = await measureChild('sh', ['-ec', script], {
    env: { ...process.env, HOME: home, TMPDIR: home },
  });
  return run.measurement;
}

const completed = (job: KubeObject): KubeObject => ({
  ...job,
  status: { conditions: [{ type: 'Complete', status: 'True' }] },
});

// ---------------------------------------------------------------------------------------------------------

interface Bench {
  source: TestRegistry;
  engineDest: TestRegistry;
  skopeoDest: TestRegistry;
  tags: number;
  options: SkopeoBenchOptions;
  /** Jobs of the earlier rounds, completed; live in a cluster for ttlSecondsAfterFinished. */
  live: KubeObject[];
  workDir: string;
}

interface EngineRound {
  step: StepResult;
  newJobs: KubeObject[];
  jobs?: { ms: number; peaks: number[]; requests: Requests };
  observeRequests: Requests;
  side: Side;
}

async function engineRound(bench: Bench, label: string, expectedJobs: number): Promise<EngineRound> {
  const { source, engineDest, tags } = bench;
  const registries = [source, engineDest];
  const liveFile = join(bench.workDir, `${label}-live.json`);
  const outFile = join(bench.workDir, `${label}-objects.json`);
  writeFileSync(liveFile, JSON.stringify(bench.live));
  const task: ImageSyncTask = {
    task: 'image-sync',
    manifest: imageSyncManifest(source, engineDest),
    namespace: NAMESPACE,
    bounds: { maxJobsPerManifest: MAX_JOBS, tagsPerJob: Math.max(1, Math.ceil(tags / MAX_JOBS)) },
    liveFile,
    outFile,
  };
  const before = await logMark(registries);
  const result = await bench.options.runWorker(task);
  const afterObserve = await logMark(registries);
  const step = result.steps.find((s) => s.step === 'observe+render');
  if (!step) throw new Error('the image-sync worker returned no observe+render step');
  const objects = JSON.parse(readFileSync(outFile, 'utf8')) as KubeObject[];
  const liveNames = new Set(bench.live.map((o) => o.metadata.name));
  const newJobs = objects.filter((o) => o.kind === 'Job' && !liveNames.has(o.metadata.name));
  if (newJobs.length !== expectedJobs) {
    throw new Error(
      `${label}: ImageSync rendered ${newJobs.length} new Jobs, expected ${expectedJobs} (${step.details.message})`,
    );
  }
  const observeRequests = requestsBetween(registries, before, afterObserve);
  let jobs: EngineRound['jobs'];
  let ms = step.measurement.ms;
  if (newJobs.length > 0) {
    // All Jobs at once, as the cluster starts the pods of the Jobs applied in one sync.
    const started = performance.now();
    const peaks = (await Promise.all(newJobs.map((job) => runJobMeasured(job, objects)))).map(
      (m) => m.peakRssBytes,
    );
    const jobsMs = performance.now() - started;
    const afterJobs = await logMark(registries);
    jobs = { ms: jobsMs, peaks, requests: requestsBetween(registries, afterObserve, afterJobs) };
    ms += jobsMs;
    bench.live.push(...newJobs.map(completed));
  }
  const side: Side = {
    what:
      newJobs.length > 0
        ? `observeImageSync + renderImageSync, then the script (skopeo copy lines) of ${newJobs.length === 1 ? 'the one rendered Job' : `the ${newJobs.length} rendered Jobs, concurrently`}`
        : 'observeImageSync + renderImageSync (no Job rendered)',
    measurement: { ...step.measurement, ms },
    requests: jobs ? addRequests(observeRequests, jobs.requests) : observeRequests,
  };
  return { step, newJobs, observeRequests, side, ...(jobs ? { jobs } : {}) };
}

async function skopeoSync(bench: Bench): Promise<Side> {
  const registries = [bench.source, bench.skopeoDest];
  const before = await logMark(registries);
  const run = await measureChild(
    'skopeo',
    skopeoSyncArgs(bench.source, SOURCE_REPO, bench.skopeoDest, DEST_PREFIX),
  );
  const after = await logMark(registries);
  return {
    what: 'skopeo sync --all (docker to docker, the whole repository)',
    measurement: run.measurement,
    requests: requestsBetween(registries, before, after),
  };
}

/** Both destinations hold exactly the source's tags, each with the source's digest. */
async function assertMirrored(bench: Bench, round: string): Promise<void> {
  const expected = await listTags(bench.source, SOURCE_REPO);
  const digests = new Map<string, string>();
  for (const tag of expected) digests.set(tag, await manifestDigest(bench.source, SOURCE_REPO, tag));
  for (const [who, registry] of [
    ['image-gitops', bench.engineDest],
    ['skopeo sync', bench.skopeoDest],
  ] as const) {
    const tags = await listTags(registry, DEST_REPO);
    if (tags.join(',') !== expected.join(',')) {
      throw new Error(`${round}: ${who}'s destination has tags [${tags}], the source [${expected}]`);
    }
    for (const tag of tags) {
      const digest = await manifestDigest(registry, DEST_REPO, tag);
      if (digest !== digests.get(tag)) {
        throw new Error(
          `${round}: ${who}'s ${DEST_REPO}:${tag} is ${digest}, the source's ${digests.get(tag)}`,
        );
      }
    }
  }
}

function engineNote(round: EngineRound): string {
  const parts = [
    `observe+render ${formatMs(round.step.measurement.ms)} (${describeRequests(round.observeRequests)}; ${round.step.details.message})`,
  ];
  if (round.jobs) {
    const { peaks } = round.jobs;
    parts.push(
      `${plural(round.newJobs.length, 'Job')} ${formatMs(round.jobs.ms)} (${describeRequests(round.jobs.requests)}; ` +
        `peak RSS of a Job's script: max ${formatMb(Math.max(...peaks))}, sum ${formatMb(peaks.reduce((a, b) => a + b, 0))})`,
    );
  }
  if (round.newJobs.length === 0 && round.step.details.objects) {
    parts.push(
      `0 new Jobs (the render keeps the ${round.step.details.objects} live, completed Jobs as they are)`,
    );
  }
  return parts.join('; ');
}

async function rounds(bench: Bench): Promise<Row[]> {
  const { tags, options } = bench;
  const perJob = Math.max(1, Math.ceil(tags / MAX_JOBS));
  const rows: Row[] = [];
  const row = (operation: string, engine: EngineRound, baseline: Side): Row => ({
    operation,
    imageGitops: engine.side,
    baseline,
    note: engineNote(engine),
  });

  options.log(`image copies: first copy of ${tags} tags`);
  const first = await engineRound(bench, 'first', Math.ceil(tags / perJob));
  const firstSkopeo = await skopeoSync(bench);
  await assertMirrored(bench, 'first copy');
  rows.push(row(`image copy: first copy of ${tags} tags`, first, firstSkopeo));

  options.log('image copies: no-op (nothing new)');
  const noop = await engineRound(bench, 'noop', 0);
  const noopSkopeo = await skopeoSync(bench);
  await assertMirrored(bench, 'no-op');
  rows.push(row(`image copy: no-op, ${tags} tags up to date`, noop, noopSkopeo));

  options.log('image copies: one new tag');
  await pushTestImage(bench.source, SOURCE_REPO, tagName(tags), { architectures: ARCHITECTURES });
  const one = await engineRound(bench, 'one-new', 1);
  const oneSkopeo = await skopeoSync(bench);
  await assertMirrored(bench, 'one new tag');
  rows.push(row(`image copy: 1 new tag among ${tags + 1}`, one, oneSkopeo));
  return rows;
}

/** The three image-copy rows; every registry started here is stopped here, also on failure. */
export async function skopeoRows(options: SkopeoBenchOptions): Promise<Row[]> {
  const started: TestRegistry[] = [];
  try {
    for (let i = 0; i < 3; i++) started.push(await startRegistry());
    const [source, engineDest, skopeoDest] = started as [TestRegistry, TestRegistry, TestRegistry];
    options.log(`push ${options.tags} multi-arch tags (${ARCHITECTURES.join(', ')}) to ${source.host}`);
    for (let i = 0; i < options.tags; i++) {
      await pushTestImage(source, SOURCE_REPO, tagName(i), { architectures: ARCHITECTURES });
    }
    return await rounds({
      source,
      engineDest,
      skopeoDest,
      tags: options.tags,
      options,
      live: [],
      workDir: makeTempDir('bench-image-sync'),
    });
  } finally {
    await Promise.all(started.map((r) => r.stop().catch(() => undefined)));
  }
}
