// The README's main command: the engine on its embedded default. Starts the local control plane and git
// server of the test bench, serves sample-repo/ from it, runs a sync, shows what was applied and the
// status, runs a second sync (nothing to do), and stops everything it started.
import { join } from 'node:path';
import { formatReport } from '../src/cli/format.js';
import { configFromEnv } from '../src/config/reconciler-config.js';
import { listOwnedObjects } from '../src/engine/owned.js';
import { Reconciler } from '../src/engine/reconciler.js';
import { KubeClient } from '../src/kube/client.js';
import { createLogger } from '../src/run/logger.js';
import { startControlPlane } from '../test/support/control-plane.js';
import { startGitServer } from '../test/support/git-server.js';
import { stopAllTracked } from '../test/support/processes.js';
import { applySampleSecrets, sampleRepoFiles } from '../test/support/sample-repo.js';
import { makeTempDir } from '../test/support/tmp.js';

async function main(): Promise<void> {
  console.log('starting a local kube-apiserver + etcd and a git server on loopback ...');
  const cp = await startControlPlane();
  const git = await startGitServer();
  try {
    const url = await git.createRepo('sample-repo', sampleRepoFiles());
    const admin = cp.kubeApi;
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'image-gitops' } });
    await applySampleSecrets(admin, 'image-gitops');
    const config = configFromEnv({
      GIT_URL: url,
      NAMESPACE: 'image-gitops',
      KUBECONFIG: cp.kubeconfigPath,
      GIT_CACHE_DIR: join(makeTempDir('demo-git'), 'repo'),
    });
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath);
    const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
    const reconciler = new Reconciler({ config, kube, logger });

    console.log(`\n== sync of ${url} (sample-repo/) ==`);
    const first = await reconciler.sync('manual');
    console.log(formatReport(first, true));

    console.log('\n== objects image-gitops owns in the cluster now ==');
    const owned = await listOwnedObjects(kube, config.settings.instance, ['image-gitops']);
    for (const o of owned.sort((a, b) =>
      `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
    )) {
      const a = o.metadata.annotations ?? {};
      console.log(
        `  ${o.kind.padEnd(12)} ${o.metadata.name.padEnd(52)} from ${a['image-gitops.io/source-file']} @ ${a['image-gitops.io/commit']?.slice(0, 12)}`,
      );
    }

    console.log('\n== second sync: no new commit ==');
    const second = await reconciler.sync('manual');
    console.log(formatReport(second));
    kube.close();
  } finally {
    await git.stop();
    await cp.stop();
    await stopAllTracked();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
