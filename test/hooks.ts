// Mocha root hooks: one control plane and one node cluster per run (each started lazily by the first test
// that needs it), and
// a last check that every process the tests started is gone.
import { stopSharedControlPlane } from './support/control-plane.js';
import { stopSharedNodeCluster } from './support/node/node-cluster.js';
import { liveTrackedPids, stopAllTracked } from './support/processes.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(180_000);
    await stopSharedNodeCluster();
    await stopSharedControlPlane();
    const leftovers = liveTrackedPids();
    await stopAllTracked();
    if (leftovers.length > 0) {
      throw new Error(`processes still running after the tests (stopped now): ${leftovers.join(', ')}`);
    }
  },
};
