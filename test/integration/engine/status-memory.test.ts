// What kinds keep between syncs (ImageSync's last seen digests) in the stored status on the real API server:
// read back by a restarted store, in the shard of its manifest, written only when it changes, and a state
// without it stored exactly as before it existed.
import assert from 'node:assert/strict';
import { KubeClient } from '../../../src/kube/client.js';
import { StatusStore, type StoredState } from '../../../src/status/store.js';
import { controlPlane } from '../../support/control-plane.js';

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

function state(manifests: number, memory?: Record<string, unknown>): StoredState {
  return {
    commit: 'c'.repeat(40),
    manifests: Array.from({ length: manifests }, (_, i) => ({
      key: `ImageSync/app-${i}`,
      kind: 'ImageSync',
      name: `app-${i}`,
      file: `app-${i}.yaml`,
      result: 'Unchanged' as const,
      message: '',
      problems: [],
      objects: [],
      commit: 'c'.repeat(40),
      author: 'test',
      health: 'Healthy' as const,
    })),
    appliedVersions: {},
    namespaces: [],
    ...(memory ? { memory } : {}),
  };
}

describe('kinds memory in the stored status', function () {
  this.timeout(120_000);

  it('is read back after a restart, and an unchanged memory costs no write', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('status-memory');
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: 'status-memory-test' });
    try {
      const memory: Record<string, unknown> = {};
      for (let m = 0; m < 20; m++) {
        const tags: Record<string, string> = {};
        for (let t = 0; t < 500; t++) tags[`v1.0.${t}`] = digest(m * 1000 + t);
        memory[`ImageSync/app-${m}`] = { scope: 'abc', tags };
      }
      const store = new StatusStore(kube, namespace, 'memory', 64 * 1024);
      assert.ok((await store.save(state(20, memory))) > 0);
      const restarted = new StatusStore(kube, namespace, 'memory', 64 * 1024);
      const loaded = await restarted.load();
      assert.deepEqual(loaded?.memory, memory);
      assert.equal(await restarted.save(state(20, memory)), 0, 'nothing changed: no write');
      const changed = { ...memory, 'ImageSync/app-3': { scope: 'abc', tags: { 'v1.0.0': digest(1) } } };
      assert.equal(await restarted.save(state(20, changed)), 1, "one manifest's memory: its shard only");
    } finally {
      kube.close();
    }
  });

  it('stores a state without memory as it was stored before memory existed', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('status-memory');
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath, { userAgent: 'status-memory-test' });
    try {
      const store = new StatusStore(kube, namespace, 'plain');
      await store.save(state(3));
      const restarted = new StatusStore(kube, namespace, 'plain');
      const loaded = await restarted.load();
      assert.equal(loaded?.memory, undefined);
      assert.equal(await restarted.save({ ...state(3), memory: {} }), 0, 'an empty memory is no memory');
    } finally {
      kube.close();
    }
  });
});
