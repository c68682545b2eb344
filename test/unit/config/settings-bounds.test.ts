import assert from 'node:assert/strict';
import { configFromEnv } from '../../../src/config/reconciler-config.js';

const base = { GIT_URL: 'https://git.example.com/config.git' };

describe('reconciler settings', () => {
  it('refuses APPLY_CONCURRENCY=0 and other counts that would mean "never"', () => {
    for (const name of [
      'APPLY_CONCURRENCY',
      'GIT_TIMEOUT_SECONDS',
      'LEASE_DURATION_SECONDS',
      'SYNC_TAGS_PER_JOB',
      'SYNC_MAX_JOBS_PER_MANIFEST',
      'JOB_ACTIVE_DEADLINE_SECONDS',
      'MAX_FILE_BYTES',
    ]) {
      assert.throws(() => configFromEnv({ ...base, [name]: '0' }), new RegExp(`${name} must`), name);
    }
    assert.throws(() => configFromEnv({ ...base, APPLY_CONCURRENCY: '1.5' }), /APPLY_CONCURRENCY/);
    assert.equal(configFromEnv({ ...base, APPLY_CONCURRENCY: '1' }).applyConcurrency, 1);
  });

  it("names the reconciler's own Secrets in its namespace by default, and takes others", () => {
    const defaults = configFromEnv({ ...base, NAMESPACE: 'ops' }).settings.manifestSecrets;
    assert.deepEqual(defaults, {
      reserved: [
        { namespace: 'ops', name: 'image-gitops-git-credentials' },
        { namespace: 'ops', name: 'image-gitops-webhook' },
      ],
    });
    const set = configFromEnv({
      ...base,
      NAMESPACE: 'ops',
      RECONCILER_SECRETS: 'release-git, other/hook',
      MANIFEST_SECRET_NAMESPACES: 'ops,registry-secrets',
    }).settings.manifestSecrets;
    assert.deepEqual(set, {
      namespaces: ['ops', 'registry-secrets'],
      reserved: [
        { namespace: 'ops', name: 'release-git' },
        { namespace: 'other', name: 'hook' },
      ],
    });
    assert.throws(() => configFromEnv({ ...base, RECONCILER_SECRETS: 'a/b/c' }), /RECONCILER_SECRETS/);
  });

  it('takes CONTAINERD_CONFIG_PATH as an absolute folder only', () => {
    assert.equal(configFromEnv(base).settings.containerdConfigPath, '/etc/containerd/certs.d');
    assert.equal(
      configFromEnv({ ...base, CONTAINERD_CONFIG_PATH: '/var/lib/rancher/k3s/agent/etc/containerd/certs.d/' })
        .settings.containerdConfigPath,
      '/var/lib/rancher/k3s/agent/etc/containerd/certs.d',
    );
    for (const bad of ['etc', '/etc/../root', '/etc/$(x)'])
      assert.throws(() => configFromEnv({ ...base, CONTAINERD_CONFIG_PATH: bad }), /CONTAINERD_CONFIG_PATH/);
  });
});
