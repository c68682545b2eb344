// The README's main command: image-gitops on a real one-node cluster built on this machine, with nothing
// from the internet. It starts the node (kubelet, containerd, a control plane), two registries ("upstream"
// and "mirror") and a git server, commits scripts/demo-repo/ (pointed at those registries) and runs a sync:
// the copy and build Jobs and the prepull DaemonSet run as pods. It then prints what actually happened
// (digests on both sides, the pushed build, the images on the node), runs a second sync that has nothing
// to do (no write, counted in the API server's audit log), and stops everything it started.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatReport } from '../src/cli/format.js';
import type { KubeObject } from '../src/core/kube-object.js';
import { packageRoot } from '../src/core/paths.js';
import type { SyncReport } from '../src/status/types.js';
import { nodeCluster, stopSharedNodeCluster } from '../test/support/node/node-cluster.js';
import { startNodeEngine } from '../test/support/node/node-engine.js';
import { waitForJob } from '../test/support/node/pods.js';
import { pushTestImage } from '../test/support/oci-image.js';
import { stopAllTracked, waitFor } from '../test/support/processes.js';
import { listTags, manifestDigest } from '../test/support/registry.js';
import { readFolder } from '../test/support/sample-repo.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const DAEMON_SET = { apiVersion: 'apps/v1', kind: 'DaemonSet' } as const;
const MIRROR_AUTH = { username: 'pusher', password: 'demo-push-password' };

function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(0)} s`;
}

/** scripts/demo-repo/ with the registries' addresses filled in, plus the sample build context. */
function demoRepo(upstream: string, mirror: string): Record<string, string> {
  const root = packageRoot();
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(readFolder(join(root, 'scripts', 'demo-repo')))) {
    files[path] = text.replaceAll('<upstream>', upstream).replaceAll('<mirror>', mirror);
  }
  for (const name of ['Dockerfile', 'greeting.txt']) {
    files[`image-build/app/${name}`] = readFileSync(
      join(root, 'sample-repo', 'image-build', 'app', name),
      'utf8',
    );
  }
  return files;
}

async function main(): Promise<void> {
  const start = Date.now();
  console.log('starting a one-node cluster on this machine (kubelet, containerd, control plane) ...');
  const cluster = await nodeCluster();
  console.log(`  node Ready after ${elapsed(start)}`);
  const upstream = await cluster.startRegistry();
  const mirror = await cluster.startRegistry({ auth: MIRROR_AUTH });
  console.log(`registries: upstream ${upstream.host}, mirror ${mirror.host} (with a password)`);
  for (const tag of ['1.0.0', '1.1.0', '2.0.0']) {
    await pushTestImage(upstream, 'team/app', tag, {
      architectures: ['amd64', 'arm64'],
      withBusybox: true,
      cmd: ['/bin/busybox', 'sleep', '3600'],
    });
  }
  await pushTestImage(upstream, 'base/busybox', '1', { withBusybox: true });
  console.log('building the images the pods run (skopeo, buildah, busybox; cached after the first run) ...');
  const { engine: demo } = await startNodeEngine(demoRepo(upstream.host, mirror.host), {
    LOG_LEVEL: 'warn',
  });
  await demo.cp.kubeApi.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'mirror-push',
      namespace: demo.namespace,
      labels: { 'image-gitops.io/usable-by-manifests': 'true' },
    },
    stringData: MIRROR_AUTH,
  } as KubeObject);

  console.log(`\n== sync of ${demo.git.repoUrl(demo.repo)} (scripts/demo-repo/) ==`);
  const first = await demo.reconciler.sync('manual');
  console.log(formatReport(first));

  console.log('\n== the node runs what was applied ==');
  for (const job of await demo.kube.list(JOB, demo.namespace)) {
    const outcome = await waitForJob(demo.kube, demo.namespace, job.metadata.name, 600_000);
    console.log(
      `  Job ${job.metadata.name}: ${outcome.phase}${outcome.message ? ` (${outcome.message})` : ''}`,
    );
  }
  await waitFor(
    async () => {
      const ds = await demo.kube.get(DAEMON_SET, demo.namespace, 'tools');
      return (ds?.status as { numberReady?: number } | undefined)?.numberReady === 1;
    },
    { timeoutMs: 300_000, intervalMs: 1_000, what: 'the prepull DaemonSet Ready on the node' },
  );
  console.log('  DaemonSet tools: 1/1 ready');

  console.log('\n== images copied (source and destination digests) ==');
  for (const tag of await listTags(mirror, 'mirror/app')) {
    const source = await manifestDigest(upstream, 'team/app', tag);
    const copied = await manifestDigest(mirror, 'mirror/app', tag);
    console.log(`  ${tag.padEnd(6)} ${source}  ->  ${copied}  ${source === copied ? 'equal' : 'DIFFERENT'}`);
  }
  console.log('\n== build pushed ==');
  for (const tag of await listTags(mirror, 'team/greeter')) {
    console.log(
      `  ${mirror.host}/team/greeter:${tag} @ ${await manifestDigest(mirror, 'team/greeter', tag)}`,
    );
  }
  console.log('\n== prepulled on the node (containerd image store) ==');
  const onNode = await cluster.nodeImages();
  for (const image of onNode.filter((i) => i.startsWith(upstream.host))) console.log(`  ${image}`);

  console.log('\n== second sync: nothing to apply ==');
  let mark = demo.auditMark();
  const second: SyncReport = await demo.reconciler.sync('manual');
  console.log(formatReport(second));
  const describeWrites = () =>
    demo
      .writesSince(mark)
      .filter((w) => !w.uri.includes('/events'))
      .map((w) => `${w.verb} ${w.uri.split('?')[0]}`);
  const statusWrites = describeWrites();
  console.log(
    `  writes to the cluster: ${statusWrites.length}${statusWrites.length ? ` (the stored status: health is now known) ${statusWrites.join(', ')}` : ''}`,
  );
  mark = demo.auditMark();
  await demo.reconciler.sync('schedule');
  console.log(`\n== third sync: writes to the cluster: ${describeWrites().length} ==`);
  console.log(`\ndemo done in ${elapsed(start)}`);
  await demo.close();
  await upstream.stop();
  await mirror.stop();
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await stopSharedNodeCluster();
    await stopAllTracked();
  });
