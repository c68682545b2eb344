// `image-gitops run` as the pod runs it, in a process of its own on loopback, against a harness's cluster and
// repo: for the tests that look at it from outside (a browser, Prometheus).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { EngineHarness } from './engine-harness.js';
import { cliCommand, spawnTracked, stopTracked, waitFor } from './processes.js';
import { freePort } from './registry.js';
import { makeTempDir } from './tmp.js';

export interface ReconcilerProcess {
  /** `http://127.0.0.1:<port>` */
  base: string;
  port: number;
  child: ChildProcess;
  logs(): string;
  /** SIGTERM (the daemon releases its Lease), then SIGKILL after the grace. */
  stop(): Promise<void>;
}

export async function startReconcilerProcess(
  h: EngineHarness,
  env: Record<string, string> = {},
): Promise<ReconcilerProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnTracked(...cliCommand('run'), {
    env: {
      ...process.env,
      GIT_URL: h.config.git.url,
      NAMESPACE: h.namespace,
      KUBECONFIG: h.cp.kubeconfigPath,
      GIT_CACHE_DIR: join(makeTempDir('run-git'), 'repo'),
      IMAGE_GITOPS_INSTANCE: h.config.settings.instance,
      HTTP_ADDR: `127.0.0.1:${port}`,
      SYNC_SCHEDULE: '1h',
      LEASE_NAME: `lease-${port}`,
      POD_NAME: `reconciler-${port}`,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  let logs = '';
  child.stdout?.on('data', (c: Buffer) => {
    logs += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    logs += c.toString();
  });
  const stop = () => stopTracked(child, { graceMs: 10_000 });
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 90_000,
      intervalMs: 200,
      what: 'the reconciler to be ready',
    });
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`);
  }
  return { base, port, child, logs: () => logs, stop };
}
