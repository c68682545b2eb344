// A real registry that serves the OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`), which Debian's
// docker-registry 2.8 does not: go-containerregistry's own registry (cmd/registry, in memory, no auth, plain
// HTTP), built once per machine from the Go module proxy by test/kube/build-oci-registry.sh (or
// OCI_REGISTRY_BINARY), on a free loopback port, stopped by PID like the docker-registry ones.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { spawnTracked, stopTracked, waitFor } from './processes.js';
import { freePort, registryRequest, type TestRegistry } from './registry.js';
import { makeTempDir, removeTempDir } from './tmp.js';

let binary: string | undefined;

/** The registry executable: OCI_REGISTRY_BINARY, or the one built once per machine into ~/.cache/image-gitops. */
export function ociRegistryBinary(): string {
  if (!binary) {
    const script = join(packageRoot(), 'test', 'kube', 'build-oci-registry.sh');
    const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    binary = out.trim().split('\n').pop()!;
  }
  return binary;
}

/** Starts one referrers-capable registry on 127.0.0.1 (its images live in its memory: gone at stop). */
export async function startOciRegistry(): Promise<TestRegistry> {
  const root = makeTempDir('oci-registry');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const output: string[] = [];
  // It listens on `localhost:<port>`; the free port was asked of 127.0.0.1, where it is reached.
  const child = spawnTracked(ociRegistryBinary(), ['-port', String(port)]);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const registry: TestRegistry = {
    host,
    url: `http://${host}`,
    storageDir: root,
    pid: child.pid ?? -1,
    logs: () => output.join(''),
    stop: async () => {
      await stopTracked(child);
      removeTempDir(root);
    },
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`the OCI registry exited ${child.exitCode ?? child.signalCode}`);
        return (await registryRequest(registry, 'GET', '/v2/', {}, false)).status === 200;
      },
      { timeoutMs: 15_000, what: `OCI registry on ${host}` },
    );
  } catch (error) {
    await registry.stop();
    throw new Error(`${(error as Error).message}\n${output.join('')}`);
  }
  return registry;
}
