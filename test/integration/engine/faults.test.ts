import assert from 'node:assert/strict';
import { join } from 'node:path';
import { configFromEnv } from '../../../src/config/reconciler-config.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { silentLogger } from '../../../src/core/logger.js';
import { Reconciler } from '../../../src/engine/reconciler.js';
import { KubeClient } from '../../../src/kube/client.js';
import { Daemon } from '../../../src/run/daemon.js';
import { type ControlPlane, startControlPlane } from '../../support/control-plane.js';
import { type EngineHarness, prepullManifest, startEngine } from '../../support/engine-harness.js';
import { startGitServer, type TestGitServer } from '../../support/git-server.js';
import { containersOf, imagesOf } from '../../support/objects.js';
import { cliCommand, spawnTracked, stopTracked, waitFor } from '../../support/processes.js';
import { makeTempDir } from '../../support/tmp.js';

const DAEMONSET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;

function buildManifest(name: string): string {
  return `apiVersion: image-gitops.io/v1alpha1\nkind: ImageBuild\nmetadata:\n  name: ${name}\nspec:\n  image: 127.0.0.1:5000/team/${name}\n  tag: v1\n  inline: |\n    FROM busybox\n    RUN echo ${name}\n`;
}

function manyManifests(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++)
    files[`prepull/p${i}.yaml`] = prepullManifest(`p${i}`, { busybox: 'busybox:1.36' });
  for (let i = 0; i < 5; i++) files[`build/b${i}.yaml`] = buildManifest(`b${i}`);
  return files;
}

describe('faults', () => {
  describe('on the shared control plane', () => {
    let h: EngineHarness;
    afterEach(async () => h?.close());

    it('keeps what is applied while the git server is too slow, then converges', async () => {
      h = await startEngine(
        { 'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }) },
        { GIT_TIMEOUT_SECONDS: '1' },
      );
      await h.reconciler.sync('manual');
      await h.git.commitFiles(
        h.repo,
        { 'a.yaml': prepullManifest('a', { busybox: 'busybox:1.37' }) },
        'bump',
      );
      h.git.setDelay(2500);
      const slow = await h.reconciler.sync('schedule');
      assert.equal(slow.result, 'Failed');
      assert.match(slow.error?.message ?? '', /timed out/);
      assert.ok(await h.kube.get(DAEMONSET, h.namespace, 'a'), 'kept');
      h.git.setDelay(0);
      const recovered = await h.reconciler.sync('schedule');
      assert.equal(recovered.result, 'Succeeded');
      assert.deepEqual(imagesOf(await h.kube.get(DAEMONSET, h.namespace, 'a')), ['busybox:1.37']);
    });

    it('takes a field back from another field manager that forced a change', async () => {
      h = await startEngine({ 'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }) });
      await h.reconciler.sync('manual');
      const other = KubeClient.fromKubeconfig(h.cp.kubeconfigPath, {
        fieldManager: 'someone-else',
        userAgent: 'someone-else',
      });
      const live = (await h.kube.get(DAEMONSET, h.namespace, 'a'))!;
      const { selector, template } = live.spec as { selector: unknown; template: { metadata: unknown } };
      // Another manager forces only the image of the first container: a partial apply, as kubectl would.
      await other.apply({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'a', namespace: h.namespace },
        spec: {
          selector,
          template: {
            metadata: template.metadata,
            spec: { containers: [{ name: containersOf(live)[0]!.name, image: 'hijacked:1' }] },
          },
        },
      });
      other.close();
      const report = await h.reconciler.sync('manual');
      assert.equal(report.counts.applied, 1);
      const restored = (await h.kube.get(DAEMONSET, h.namespace, 'a'))!;
      assert.deepEqual(imagesOf(restored), ['busybox:1.36']);
      const owners = (restored.metadata.managedFields as { manager: string; fieldsV1: unknown }[])
        .filter((f) => JSON.stringify(f.fieldsV1).includes('"f:image"'))
        .map((f) => f.manager);
      assert.deepEqual(owners, ['image-gitops']);
    });

    it('converges after the reconciler is killed in the middle of a sync', async () => {
      h = await startEngine(manyManifests(30));
      const env = { ...process.env, ...envOf(h), LOG_LEVEL: 'error' };
      const child = spawnTracked(...cliCommand('sync', '--once'), { env });
      // Kill it as soon as it has written its first objects (the API server's audit log tells).
      await waitFor(
        () =>
          h.cp
            .auditEvents()
            .some(
              (e) =>
                e.userAgent === 'image-gitops' &&
                e.verb === 'patch' &&
                e.objectRef?.namespace === h.namespace,
            ),
        { timeoutMs: 60_000, intervalMs: 20, what: 'the CLI to start applying' },
      );
      child.kill('SIGKILL');
      await stopTracked(child);
      const partial = (await h.kube.list(DAEMONSET, h.namespace)).length;
      assert.ok(partial < 30, `killed mid-sync: ${partial} of 30 DaemonSets applied`);

      const report = await h.reconciler.sync('startup');
      assert.notEqual(report.result, 'Failed', report.error?.message);
      assert.equal((await h.kube.list(DAEMONSET, h.namespace)).length, 30);
      assert.equal((await h.kube.list(JOB, h.namespace)).length, 5);
      assert.equal((await h.reconciler.sync('schedule')).result, 'NoChange');
    });

    it('exposes the sync in /metrics with the right values', async () => {
      h = await startEngine({
        'a.yaml': prepullManifest('a', { busybox: 'busybox:1.36' }),
        // Our apiVersion with an unknown kind: an invalid manifest (without it, the file is not ours and is ignored).
        'bad.yaml': 'apiVersion: image-gitops.io/v1alpha1\nkind: Nope\n',
      });
      const daemon = new Daemon(
        {
          ...h.config,
          schedule: '1h',
          http: { host: '127.0.0.1', port: 0 },
          leaderElection: { ...h.config.leaderElection, enabled: false },
        },
        { engine: h.reconciler, logger: silentLogger },
      );
      await daemon.start();
      try {
        await waitFor(() => daemon.isReady(), { timeoutMs: 30_000, what: 'the first sync' });
        const report = h.reconciler.lastReport()!;
        const metrics = (await (await fetch(`${daemon.url}/metrics`)).text()).split('\n');
        // A series by name and labels, in any order (every series also names the reconciler instance).
        const instance = `image_gitops_instance="${h.config.settings.instance}"`;
        const has = (name: string, labels: string[], value: number) => {
          const want = [...labels, instance].sort().join(',');
          const found = metrics.some((line) => {
            const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
            return m?.[1] === name && m[2]!.split(',').sort().join(',') === want && Number(m[3]) === value;
          });
          assert.ok(found, `${name}{${want}} ${value} in /metrics`);
        };
        has('image_gitops_sync_total', ['result="PartiallyFailed"'], 1);
        has('image_gitops_objects_applied_total', ['kind="DaemonSet"'], 1);
        has('image_gitops_sync_duration_seconds_count', ['result="PartiallyFailed"'], 1);
        has('image_gitops_git_fetch_duration_seconds_count', [], 1);
        const commitSeconds = Math.floor(new Date(report.commit!.date).getTime() / 1000);
        has('image_gitops_last_synced_commit_timestamp_seconds', [], commitSeconds);
        has('image_gitops_manifest_errors', ['kind="Nope"', 'result="Invalid"'], 1);
      } finally {
        await daemon.shutdown('test end');
      }
    });
  });

  describe('with an API server that restarts', () => {
    let cp: ControlPlane;
    let git: TestGitServer;
    before(async () => {
      cp = await startControlPlane();
      git = await startGitServer();
    });
    after(async () => {
      await git?.stop();
      await cp?.stop();
    });

    it('resumes after the API server restarts in the middle of an apply, with no duplicate Jobs', async () => {
      const url = await git.createRepo('restart', manyManifests(40));
      const namespace = await cp.newNamespace('restart');
      const config = configFromEnv({
        GIT_URL: url,
        NAMESPACE: namespace,
        KUBECONFIG: cp.kubeconfigPath,
        GIT_CACHE_DIR: join(makeTempDir('git-cache'), 'repo'),
        APPLY_CONCURRENCY: '2',
      });
      const client = KubeClient.fromKubeconfig(cp.kubeconfigPath, {
        userAgent: 'restart-test',
        timeoutMs: 5000,
      });
      // The restart lands mid-apply by construction: once the first object of the plan is stored, the API
      // server is stopped before that apply returns (the real client, only watched).
      let startAgain: (() => Promise<void>) | undefined;
      const kube = new Proxy(client, {
        get(target, property) {
          if (property === 'apply') {
            return async (object: KubeObject, options?: { dryRun?: boolean }) => {
              const stored = await target.apply(object, options);
              if (!options?.dryRun && ['DaemonSet', 'Job'].includes(object.kind) && !startAgain) {
                startAgain = await cp.stopApiServer();
              }
              return stored;
            };
          }
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const reconciler = new Reconciler({ config, kube });
      const savedBudget = process.env.APPLY_RETRY_BUDGET_SECONDS;
      process.env.APPLY_RETRY_BUDGET_SECONDS = '2';
      try {
        const interrupted = await reconciler.sync('manual');
        assert.ok(startAgain, 'the API server was stopped during the apply');
        await startAgain();
        // The interrupted sync says so: not succeeded, the objects it could not write counted as failed.
        assert.notEqual(interrupted.result, 'Succeeded');
        assert.notEqual(interrupted.result, 'NoChange');
        assert.ok(interrupted.counts.failed > 0, JSON.stringify(interrupted.counts));
        const storedBefore = (await cp.kubeApi.list(DAEMONSET, namespace)).length;
        const jobsBefore = (await cp.kubeApi.list(JOB, namespace)).length;
        assert.ok(storedBefore + jobsBefore >= 1, 'the first object is stored');
        assert.ok(
          storedBefore + jobsBefore < 45,
          `only part of the plan is stored: ${storedBefore} + ${jobsBefore}`,
        );

        const retried = await reconciler.sync('schedule');
        assert.equal(retried.result, 'Succeeded', retried.error?.message ?? '');
        assert.equal(retried.counts.failed, 0);
        assert.equal((await cp.kubeApi.list(DAEMONSET, namespace)).length, 40);
        const jobs = await cp.kubeApi.list(JOB, namespace);
        assert.equal(jobs.length, 5, `jobs: ${jobs.map((j) => j.metadata.name).join()}`);
        assert.equal((await reconciler.sync('schedule')).result, 'NoChange');
      } finally {
        if (savedBudget === undefined) delete process.env.APPLY_RETRY_BUDGET_SECONDS;
        else process.env.APPLY_RETRY_BUDGET_SECONDS = savedBudget;
        client.close();
      }
    });
  });
});

function envOf(h: EngineHarness): Record<string, string> {
  return {
    GIT_URL: h.config.git.url,
    NAMESPACE: h.namespace,
    KUBECONFIG: h.cp.kubeconfigPath,
    GIT_CACHE_DIR: join(makeTempDir('git-cache-cli'), 'repo'),
    IMAGE_GITOPS_INSTANCE: h.config.settings.instance,
  };
}
