// ImageBuild on the node: the Buildah Job builds the repo's Dockerfile and pushes in a pod with exactly the
// securityContext the README documents, and the manifest's status carries the digest the pod pushed.
import assert from 'node:assert/strict';
import { BUILD_SECURITY } from '../../src/kinds/image-build/security.js';
import { nodeCluster } from '../support/node/node-cluster.js';
import type { NodeEngine } from '../support/node/node-engine.js';
import { startNodeEngine } from '../support/node/node-engine.js';
import { podLogs, waitForJob } from '../support/node/pods.js';
import { pushTestImage } from '../support/oci-image.js';
import { fetchManifest, manifestDigest, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const POD = { apiVersion: 'v1', kind: 'Pod' } as const;

describe('ImageBuild on a real node', function () {
  this.timeout(900_000);
  let node: NodeEngine;
  let registry: TestRegistry;

  before(async () => {
    const cluster = await nodeCluster();
    registry = await cluster.startRegistry();
    await pushTestImage(registry, 'base/busybox', 'v1', { withBusybox: true });
    const manifest = `apiVersion: image-gitops.io/v1alpha1
kind: ImageBuild
metadata:
  name: greeter
spec:
  image: ${registry.host}/team/greeter
  tag: v1
  context:
    path: app
  dockerfile: Dockerfile
  buildArgs:
    GREETING: bonjour
  registries:
    - host: ${registry.host}
      tlsVerify: false
`;
    const dockerfile = `FROM ${registry.host}/base/busybox:v1
ARG GREETING=hello
COPY greeting.txt /app/greeting.txt
RUN echo "\${GREETING} from a pod" > /app/built.txt
`;
    node = await startNodeEngine({
      'build/greeter.yaml': manifest,
      'app/Dockerfile': dockerfile,
      'app/greeting.txt': 'hi\n',
    });
  });
  after(async () => {
    await node?.engine.close();
    await registry?.stop();
  });

  it('builds and pushes in a pod with the documented securityContext; status has the pushed digest', async () => {
    const first = await node.engine.reconciler.sync('manual');
    assert.equal(first.manifests.find((m) => m.key === 'ImageBuild/greeter')?.result, 'Applied');
    const [job] = await node.engine.kube.list(JOB, node.engine.namespace);
    assert.ok(job, 'a build Job');
    const outcome = await waitForJob(node.engine.kube, node.engine.namespace, job.metadata.name, 600_000);
    const logs = await podLogs(node.engine.cp, node.engine.namespace, `job-name=${job.metadata.name}`);
    assert.equal(outcome.phase, 'Complete', `${outcome.message}\n${logs.slice(-3000)}`);

    const [pod] = await node.engine.kube.list(POD, node.engine.namespace, `job-name=${job.metadata.name}`);
    const build = (
      pod!.spec as { containers: Array<{ name: string; securityContext: Record<string, unknown> }> }
    ).containers.find((c) => c.name === 'build')!;
    assert.deepEqual(build.securityContext.capabilities, {
      drop: ['ALL'],
      add: [...BUILD_SECURITY.capabilities],
    });
    assert.equal(build.securityContext.privileged, false);
    assert.equal(build.securityContext.allowPrivilegeEscalation, false);
    assert.equal(build.securityContext.readOnlyRootFilesystem, true);

    const pushed = await manifestDigest(registry, 'team/greeter', 'v1');
    const report = await node.engine.reconciler.sync('schedule');
    const status = report.manifests.find((m) => m.key === 'ImageBuild/greeter')!;
    assert.match(
      JSON.stringify(status.details),
      new RegExp(pushed.replace(':', ':')),
      JSON.stringify(status),
    );
    assert.equal(status.health, 'Healthy');
    const image = await fetchManifest(registry, 'team/greeter', 'v1');
    assert.equal(image.status, 200);
  });
});
