// Mocha root hooks: one control plane per run (started lazily by the first test that needs it), and
// a last check that every process the tests started is gone.
import { stopSharedControlPlane } from './support/control-plane.js';
import { liveTrackedPids, stopAllTracked } from './support/processes.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await stopSharedControlPlane();
    const leftovers = liveTrackedPids();
    await stopAllTracked();
    if (leftovers.length > 0) {
      throw new Error(`processes still running after the tests (stopped now): ${leftovers.join(', ')}`);
    }
  },
};
