// The engine alone at one size, for profiling (issue 16): the synthetic repo of generate.ts on the loopback git
// server, a Reconciler wired as the daemon (owned objects watched), on the test control plane. Prints each
// sync's time, its seconds per step and the heap after a garbage collection; writes a CPU profile of the
// one-manifest commit. No kubectl beside it: the side-by-side rows are bench/run.ts's.
//   npx tsx --expose-gc bench/profile-sync.ts [manifests=10000] [--cpu-profile /tmp/onefile.cpuprofile]
// NODE_OPTIONS=--max-old-space-size=384 runs it under the chart's heap cap.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configFromEnv } from '../src/config/reconciler-config.js';
import { Reconciler } from '../src/engine/reconciler.js';
import { KubeClient } from '../src/kube/client.js';
import type { SyncReport } from '../src/status/types.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { stopAllTracked } from '../test/support/processes.js';
import { makeTempDir } from '../test/support/tmp.js';
import { generateRepo, repoFiles } from './generate.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'cpu-profile': { type: 'string', default: '/tmp/onefile.cpuprofile' } },
});
const size = Number(positionals[0] ?? 10000);
if (!Number.isInteger(size) || size <= 0) throw new Error('usage: bench/profile-sync.ts [manifests]');

/** The heap after a full collection (with --expose-gc), the figure a pod's limit has to hold. */
function memory(): string {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const gc = (globalThis as { gc?: unknown }).gc ? 'after GC' : 'no --expose-gc';
  return `heap ${Math.round(heapUsed / 1e6)} MB (${gc}), rss ${Math.round(rss / 1e6)} MB`;
}

function print(what: string, started: number, report: SyncReport): void {
  const steps = Object.entries(report.stepSeconds ?? {})
    .map(([step, s]) => `${step} ${s.toFixed(2)}`)
    .join(', ');
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  console.log(
    `${what}: ${seconds} s, ${report.result} ${JSON.stringify(report.counts)}; ${steps}; ${memory()}`,
  );
}

const cp = await startControlPlane();
const git = await startGitServer();
const session = new Session();
session.connect();
try {
  const files = generateRepo(size);
  const url = await git.createRepo('profile', repoFiles(files));
  const namespace = await cp.newNamespace('profile');
  const config = configFromEnv({
    GIT_URL: url,
    NAMESPACE: namespace,
    KUBECONFIG: cp.kubeconfigPath,
    GIT_CACHE_DIR: join(makeTempDir('profile-cache'), 'repo'),
    IMAGE_GITOPS_INSTANCE: 'profile',
    LOG_LEVEL: 'error',
    MAX_PRUNE_SHARE: '1',
  });
  const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath);
  let running: Reconciler | undefined = new Reconciler({ config, kube, watchOwned: config.watchOwned });
  let started = Date.now();
  print('first apply', started, await running.sync('manual'));
  started = Date.now();
  print('second sync', started, await running.sync('manual'));
  // A daemon's watches are synced long before its next sync; the wait is not timed.
  await running.owned.untilSynced(60_000);
  started = Date.now();
  print('no-op', started, await running.sync('manual'));
  const changed = files.find((f) => f.path.includes('prepull'));
  if (!changed) throw new Error('the generated repo has no prepull manifest');
  await git.commitFiles('profile', { [changed.path]: changed.content.replace('tool-0:', 'tool-0x:') }, 'one');
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  started = Date.now();
  const report = await running.sync('webhook');
  const { profile } = await session.post('Profiler.stop');
  print('a commit changing one manifest', started, report);
  writeFileSync(values['cpu-profile'], JSON.stringify(profile));
  console.log(`CPU profile of that sync: ${values['cpu-profile']}`);
  await running.close();
  running = undefined; // a restart is a new process: nothing of the first is kept
  const restarted = new Reconciler({ config, kube, watchOwned: config.watchOwned });
  started = Date.now();
  print('a restart (first sync)', started, await restarted.sync('startup'));
  await restarted.close();
  kube.close();
} finally {
  session.disconnect();
  await git.stop();
  await cp.stop();
  await stopAllTracked();
}
