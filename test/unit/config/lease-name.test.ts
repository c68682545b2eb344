// The Lease follows the instance: two instances side by side each elect a leader of their own (an install
// of the default instance keeps the Lease it has), and LEASE_NAME still wins.
import assert from 'node:assert/strict';
import { configFromEnv } from '../../../src/config/reconciler-config.js';

const lease = (env: Record<string, string>) =>
  configFromEnv({ GIT_URL: 'https://git.example/cfg.git', ...env }).leaderElection.leaseName;

describe('the leader Lease of an instance', () => {
  it('is image-gitops-leader for the default instance and per instance otherwise', () => {
    assert.equal(lease({}), 'image-gitops-leader');
    assert.equal(lease({ IMAGE_GITOPS_INSTANCE: 'default' }), 'image-gitops-leader');
    assert.equal(lease({ IMAGE_GITOPS_INSTANCE: 'team-a' }), 'image-gitops-leader-team-a');
    assert.notEqual(lease({ IMAGE_GITOPS_INSTANCE: 'team-a' }), lease({ IMAGE_GITOPS_INSTANCE: 'team-b' }));
  });

  it('is LEASE_NAME when set', () => {
    assert.equal(lease({ IMAGE_GITOPS_INSTANCE: 'team-a', LEASE_NAME: 'mine' }), 'mine');
  });
});
