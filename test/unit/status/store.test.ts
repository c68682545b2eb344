// The stored form of the status, without an API server: the shard text made from its parts is the shard's
// canonical JSON, a status leaves out the commit the statuses share and gets it back on load, and a commit
// that changes nothing but the statuses' commit rewrites the head alone.
import assert from 'node:assert/strict';
import { canonicalJson } from '../../../src/core/hash.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import type { KubeApi } from '../../../src/kube/types.js';
import { withConditions } from '../../../src/status/conditions.js';
import {
  restoredForm,
  StatusNotSavedError,
  StatusStore,
  type StoredState,
  shardText,
  statusCommitOf,
  storedForm,
} from '../../../src/status/store.js';
import type { ManifestStatus } from '../../../src/status/types.js';

/** ConfigMaps kept in a map, with every write counted. */
function memoryKube(): KubeApi & { writes: string[] } {
  const objects = new Map<string, KubeObject>();
  const writes: string[] = [];
  const key = (namespace: string | undefined, name: string) => `${namespace}/${name}`;
  return {
    writes,
    list: async () => [...objects.values()],
    get: async (_type, namespace, name) => structuredClone(objects.get(key(namespace, name))),
    apply: async (object) => {
      writes.push(object.metadata.name);
      objects.set(key(object.metadata.namespace, object.metadata.name), structuredClone(object));
      return object;
    },
    create: async (object) => object,
    delete: async (_type, namespace, name) => {
      objects.delete(key(namespace, name));
      return undefined;
    },
    informer: () => {
      throw new Error('the status store does not watch');
    },
  };
}

function status(i: number, commit = 'c'.repeat(40), author = 'Ann'): ManifestStatus {
  return {
    key: `ImagePrepull/m-${String(i).padStart(4, '0')}`,
    kind: 'ImagePrepull',
    name: `m-${i}`,
    file: `m-${i}.yaml`,
    line: 1,
    result: 'Unchanged',
    message: '',
    problems: [],
    objects: [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        namespace: 'ns',
        name: `m-${i}`,
        action: 'unchanged',
        outcome: 'unchanged',
        health: 'Healthy',
      },
    ],
    commit,
    author,
    health: 'Healthy',
  };
}

function state(count: number, commit = 'c'.repeat(40)): StoredState {
  const appliedVersions: Record<string, string> = {};
  for (let i = 0; i < count; i++) appliedVersions[`uid-${i}`] = `g${i % 3}`;
  return {
    commit,
    manifests: Array.from({ length: count }, (_, i) => withConditions(status(i, commit))),
    appliedVersions,
    namespaces: ['ns'],
    memory: { 'ImagePrepull/m-0001': { digests: ['sha256:1'] } },
  };
}

describe('status store: stored form', () => {
  it('makes a shard text that is the canonical JSON of the shard', () => {
    const manifests = [status(2), status(1)].map((s) => storedForm(s, undefined));
    const appliedVersions = { b: 'g1', a: 'rv2' };
    const memory = { 'K/x': { z: 1, y: [2] } };
    assert.equal(
      shardText(
        canonicalJson(appliedVersions),
        manifests.map((m) => canonicalJson(m)),
        canonicalJson(memory),
      ),
      canonicalJson({ manifests, appliedVersions, memory }),
    );
    assert.equal(
      shardText('{}', []),
      canonicalJson({ manifests: [], appliedVersions: {}, memory: undefined }),
    );
  });

  it('leaves out the shared commit and author, and gives them back', () => {
    const shared = { sha: 'c'.repeat(40), author: 'Ann' };
    const same = withConditions(status(1));
    const stored = storedForm(same, shared);
    assert.equal('commit' in stored || 'author' in stored || 'conditions' in stored, false);
    assert.deepEqual(restoredForm(stored, shared), storedForm(same, undefined));
    const other = status(2, 'd'.repeat(40));
    assert.deepEqual(storedForm(other, shared), other);
    assert.deepEqual(restoredForm(storedForm(other, shared), shared), other);
    const otherAuthor = status(3, 'c'.repeat(40), 'Bob');
    assert.deepEqual(restoredForm(storedForm(otherAuthor, shared), shared), otherAuthor);
  });

  it('shares the state commit only when every status has a commit and one is at it', () => {
    assert.deepEqual(statusCommitOf(state(3)), { sha: 'c'.repeat(40), author: 'Ann' });
    assert.equal(statusCommitOf({ ...state(3), commit: 'e'.repeat(40) }), undefined);
    const { commit: _none, ...withoutCommit } = status(9);
    assert.equal(
      statusCommitOf({ ...state(3), manifests: [...state(3).manifests, withoutCommit as ManifestStatus] }),
      undefined,
    );
  });
});

describe('status store: writes', () => {
  it('reads back what it saved, and a restart writes nothing', async () => {
    const kube = memoryKube();
    const saved = state(300);
    await new StatusStore(kube, 'ns', 'unit', 1024).save(saved);
    assert.ok(kube.writes.length > 2, `${kube.writes.length} ConfigMaps written`);
    const restarted = new StatusStore(kube, 'ns', 'unit', 1024);
    const loaded = await restarted.load();
    assert.deepEqual(loaded, saved);
    kube.writes.length = 0;
    assert.equal(await restarted.save(loaded!), 0);
  });

  it('writes only the head for a commit that changes no status but their commit', async () => {
    const kube = memoryKube();
    const store = new StatusStore(kube, 'ns', 'unit', 1024);
    await store.save(state(300));
    kube.writes.length = 0;
    const next = state(300, 'e'.repeat(40));
    assert.equal(await store.save(next), 1);
    assert.deepEqual(kube.writes, ['image-gitops-status-unit']);
    assert.deepEqual(await new StatusStore(kube, 'ns', 'unit', 1024).load(), next);
  });

  it('writes the shard of a status changed in place, and reads the change back', async () => {
    const kube = memoryKube();
    const store = new StatusStore(kube, 'ns', 'unit', 1024);
    const changing = state(300);
    await store.save(changing);
    kube.writes.length = 0;
    changing.manifests[7]!.objects[0]!.health = 'Degraded';
    assert.equal(await store.save(changing), 1);
    assert.match(kube.writes[0]!, /^image-gitops-status-unit-\d+$/);
    const loaded = await new StatusStore(kube, 'ns', 'unit', 1024).load();
    assert.equal(loaded?.manifests[7]?.objects[0]?.health, 'Degraded');
  });

  it('writes the shards at once and the head only once they are all written', async () => {
    const kube = memoryKube();
    const apply = kube.apply;
    kube.apply = async (object) => {
      if (object.metadata.name === 'image-gitops-status-unit-1') throw new Error('etcd is full');
      return apply(object);
    };
    await assert.rejects(
      new StatusStore(kube, 'ns', 'unit', 1024).save(state(300)),
      (error: Error) => error instanceof StatusNotSavedError && /unit-1 was refused/.test(error.message),
    );
    assert.ok(kube.writes.length > 1, 'the other shards are written');
    assert.equal(kube.writes.includes('image-gitops-status-unit'), false, 'the head is not');
  });
});
