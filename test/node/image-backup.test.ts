// ImageBackup on the node: a Deployment running on the node has its images copied to the backup registry by
// copy Jobs running as pods; with rewrite on, its new pods start from the backup registry (which needs
// credentials to pull: the rewrite brings its pull Secret along) and run.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/core/kube-object.js';
import { backupImageName, backupReference } from '../../src/kinds/image-backup/naming.js';
import { nodeCluster } from '../support/node/node-cluster.js';
import type { NodeEngine } from '../support/node/node-engine.js';
import { startNodeEngine } from '../support/node/node-engine.js';
import { waitForJob } from '../support/node/pods.js';
import { pushTestImage } from '../support/oci-image.js';
import { waitFor } from '../support/processes.js';
import { manifestDigest, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;
const USABLE = { 'image-gitops.io/usable-by-manifests': 'true' };
const BACKUP_AUTH = { username: 'backup', password: 'backup-secret' };
/** The pull Secret holds a read-only robot's account, not the push credentials. */
const READER_AUTH = { username: 'reader', password: 'reader-secret' };

interface PodLike extends KubeObject {
  spec?: { containers: Array<{ image: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

function webDeployment(namespace: string, image: string): KubeObject {
  const labels = { app: 'web' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image }] },
      },
    },
  } as KubeObject;
}

function dockerConfig(host: string, auth: { username: string; password: string }): string {
  const token = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return JSON.stringify({ auths: { [host]: { auth: token } } });
}

describe('ImageBackup on a real node', function () {
  this.timeout(900_000);
  let node: NodeEngine;
  let publicRegistry: TestRegistry;
  let backup: TestRegistry;
  let appNamespace: string;
  let webImage: string;

  before(async () => {
    const cluster = await nodeCluster();
    publicRegistry = await cluster.startRegistry();
    backup = await cluster.startRegistry({ auth: BACKUP_AUTH, moreUsers: [READER_AUTH] });
    await pushTestImage(publicRegistry, 'team/web', '1.0', {
      withBusybox: true,
      cmd: ['/bin/busybox', 'sleep', '3600'],
    });
    webImage = `${publicRegistry.host}/team/web:1.0`;
    appNamespace = await cluster.controlPlane.newNamespace('web');
    await cluster.controlPlane.kubeApi.create(webDeployment(appNamespace, webImage));
    const manifest = `apiVersion: image-gitops.io/v1alpha1
kind: ImageBackup
metadata:
  name: web-backup
spec:
  backupRegistry: ${backup.host}/backup
  namespaces: [${appNamespace}]
  rewrite: true
  pullSecret: backup-pull
  registries:
    - host: ${publicRegistry.host}
      tlsVerify: false
    - host: ${backup.host}
      tlsVerify: false
      credentialsSecret: backup-push
`;
    node = await startNodeEngine({ 'backup/web.yaml': manifest }, { JOB_BACKOFF_LIMIT: '0' });
    const kube = node.engine.cp.kubeApi;
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'backup-push', namespace: node.engine.namespace, labels: USABLE },
      stringData: BACKUP_AUTH,
    } as KubeObject);
    await kube.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: 'backup-pull', namespace: node.engine.namespace, labels: USABLE },
      stringData: { '.dockerconfigjson': dockerConfig(backup.host, READER_AUTH) },
    } as KubeObject);
  });
  after(async () => {
    await node?.engine.close();
    await publicRegistry?.stop();
    await backup?.stop();
  });

  const webPods = async () =>
    ((await node.engine.kube.list(POD, appNamespace, 'app=web')) as PodLike[]).filter(
      (p) => !p.metadata.deletionTimestamp,
    );
  const readyWith = async (image: string) =>
    (await webPods()).find(
      (p) =>
        p.spec?.containers[0]?.image === image &&
        (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );

  it('copies the running images to the backup registry, then moves the workload onto the copies', async () => {
    await waitFor(() => readyWith(webImage), { timeoutMs: 180_000, intervalMs: 1_000, what: 'web running' });

    const first = await node.engine.reconciler.sync('manual');
    const jobs = await node.engine.kube.list(JOB, node.engine.namespace);
    assert.equal(jobs.length, 1, `one copy Job for the one image: ${JSON.stringify(first.manifests)}`);
    const outcome = await waitForJob(node.engine.kube, node.engine.namespace, jobs[0]!.metadata.name);
    assert.equal(outcome.phase, 'Complete', outcome.message);
    const copy = backupReference(`${backup.host}/backup`, webImage).repository;
    assert.equal(
      await manifestDigest(backup, copy, '1.0'),
      await manifestDigest(publicRegistry, 'team/web', '1.0'),
      'the backup holds the same image',
    );

    await node.engine.reconciler.sync('schedule');
    const backupImage = backupImageName(`${backup.host}/backup`, webImage);
    const moved = await waitFor(() => readyWith(backupImage), {
      timeoutMs: 180_000,
      intervalMs: 1_000,
      what: 'a web pod running from the backup registry',
    });
    assert.ok(moved);
    assert.ok((await node.cluster.nodeImages()).includes(backupImage), 'the node pulled the copy');
    const report = JSON.stringify(await node.engine.reconciler.sync('schedule'));
    assert.doesNotMatch(
      report,
      /backup-secret|reader-secret|YmFja3Vw|cmVhZGVy/,
      'no credential in the report',
    );
  });
});
