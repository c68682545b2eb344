// The bench's node itself: a hardened Job runs to completion in a pod, and pods cannot leave the machine.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { renderSecureJob } from '../../src/jobs/job-template.js';
import { nodeCluster } from '../support/node/node-cluster.js';
import { podLogs, waitForJob } from '../support/node/pods.js';
import { pushTestImage } from '../support/oci-image.js';

describe('the test node', function () {
  this.timeout(300_000);

  it('runs a Job with the restricted securityContext to completion in a pod', async () => {
    const cluster = await nodeCluster();
    const kube = cluster.controlPlane.kubeApi;
    const namespace = await cluster.controlPlane.newNamespace('node-smoke');
    await pushTestImage(cluster.imageRegistry, 'test/busybox', 'smoke', { withBusybox: true });
    const job = renderSecureJob({
      name: 'hello',
      namespace,
      image: `${cluster.imageRegistry.host}/test/busybox:smoke`,
      command: ['/bin/sh', '-ec', 'echo "uid=$(/bin/busybox id -u) on $(/bin/busybox hostname)"'],
      defaults: DEFAULT_SETTINGS.jobs,
    });
    await kube.create(job);
    const finished = await waitForJob(kube, namespace, 'hello');
    assert.equal(finished.phase, 'Complete', finished.message);
    assert.match(await podLogs(cluster.controlPlane, namespace, 'job-name=hello'), /^uid=1000 on hello-/);
  });

  it('gives pods no route off the machine', async () => {
    const cluster = await nodeCluster();
    const kube = cluster.controlPlane.kubeApi;
    const namespace = await cluster.controlPlane.newNamespace('node-egress');
    await pushTestImage(cluster.imageRegistry, 'test/busybox', 'smoke', { withBusybox: true });
    // The first line reaches the bench's own registry on the host end of the link; the second tries a
    // public address (must fail at once: no route), the third the machine's default gateway's network.
    const script = [
      `/bin/busybox wget -q -O - http://${cluster.imageRegistry.host}/v2/ && echo reached-bench`,
      '/bin/busybox wget -q -T 3 -O - http://1.1.1.1/ 2>&1 || echo no-internet',
      '/bin/busybox ip route',
    ].join('\n');
    await kube.create(
      renderSecureJob({
        name: 'egress',
        namespace,
        image: `${cluster.imageRegistry.host}/test/busybox:smoke`,
        command: ['/bin/sh', '-c', script],
        defaults: DEFAULT_SETTINGS.jobs,
      }),
    );
    const finished = await waitForJob(kube, namespace, 'egress');
    const logs = await podLogs(cluster.controlPlane, namespace, 'job-name=egress');
    assert.equal(finished.phase, 'Complete', logs);
    assert.match(logs, /reached-bench/);
    assert.match(logs, /no-internet/);
    assert.doesNotMatch(logs, /^default/m, 'pods have no default route');
  });
});
