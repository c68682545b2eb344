// One engine under test: a real git repo on the loopback git server, a real control plane, and a
// Reconciler wired exactly as the CLI and the daemon wire it.
import { join } from 'node:path';
import { configFromEnv, type ReconcilerConfig } from '../../src/config/reconciler-config.js';
import { Reconciler } from '../../src/engine/reconciler.js';
import { KubeClient } from '../../src/kube/client.js';
import { type ControlPlane, controlPlane } from './control-plane.js';
import { startGitServer, type TestGitServer } from './git-server.js';
import { makeTempDir } from './tmp.js';

export const ENGINE_USER_AGENT = 'image-gitops-engine-under-test';

export interface EngineHarness {
  cp: ControlPlane;
  git: TestGitServer;
  repo: string;
  namespace: string;
  config: ReconcilerConfig;
  kube: KubeClient;
  reconciler: Reconciler;
  /** A new Reconciler on the same cluster and cache folder: a restarted pod. */
  restart(overrides?: Record<string, string>): Reconciler;
  /** Requests the engine sent that changed something, from the API server's audit log. */
  writesSince(mark: number): { verb: string; uri: string }[];
  auditMark(): number;
  close(): Promise<void>;
}

export function prepullManifest(name: string, images: Record<string, string>, extra = ''): string {
  const list = Object.entries(images)
    .map(([n, image]) => `    - name: ${n}\n      image: ${image}`)
    .join('\n');
  return `apiVersion: image-gitops.io/v1alpha1\nkind: ImagePrepull\nmetadata:\n  name: ${name}\nspec:\n  images:\n${list}\n${extra}`;
}

export interface StartEngineOptions {
  /** The cluster to sync into (default: the shared API-server-only control plane). */
  cluster?: ControlPlane;
  /** Address of the git server (default 127.0.0.1). */
  gitAddress?: string;
  /** Reconcilers keep what they own by watches, as the daemon's does (default: they list, as the CLI's). */
  watchOwned?: boolean;
}

export async function startEngine(
  files: Record<string, string>,
  env: Record<string, string> = {},
  options: StartEngineOptions = {},
): Promise<EngineHarness> {
  const cp = options.cluster ?? (await controlPlane());
  const git = await startGitServer(options.gitAddress ? { address: options.gitAddress } : {});
  const repo = `config-${Date.now() % 100000}`;
  const url = await git.createRepo(repo, files);
  const namespace = await cp.newNamespace('engine');
  const cacheDir = join(makeTempDir('git-cache'), 'repo');
  const baseEnv = {
    GIT_URL: url,
    NAMESPACE: namespace,
    KUBECONFIG: cp.kubeconfigPath,
    GIT_CACHE_DIR: cacheDir,
    IMAGE_GITOPS_INSTANCE: namespace,
    ...env,
  };
  const make = (overrides: Record<string, string> = {}) => {
    const config = configFromEnv({ ...baseEnv, ...overrides });
    const reconciler = new Reconciler({ config, kube, watchOwned: !!options.watchOwned });
    made.push(reconciler);
    return { config, reconciler };
  };
  const made: Reconciler[] = [];
  const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: ENGINE_USER_AGENT });
  const { config, reconciler } = make();
  return {
    cp,
    git,
    repo,
    namespace,
    config,
    kube,
    reconciler,
    restart: (overrides) => make(overrides).reconciler,
    auditMark: () => cp.auditEvents().length,
    writesSince(mark) {
      return cp
        .auditEvents()
        .slice(mark)
        .filter((e) => e.userAgent === ENGINE_USER_AGENT && !['get', 'list', 'watch'].includes(e.verb))
        .map((e) => ({ verb: e.verb, uri: e.requestURI }));
    },
    async close() {
      await Promise.all(made.map((r) => r.close()));
      kube.close();
      await git.stop();
    },
  };
}
