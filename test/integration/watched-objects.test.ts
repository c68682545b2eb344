// The watch cache of owned objects (src/kube/watched-objects.ts) on a real kube-apiserver: it converges on
// what others change, shows our own writes at once, lists afresh when the API server says its version is
// gone (410), and is left alone (listed instead) until synced.
import assert from 'node:assert/strict';
import type { KubeObject, ObjectType } from '../../src/core/kube-object.js';
import { KubeClient } from '../../src/kube/client.js';
import { WatchedObjects } from '../../src/kube/watched-objects.js';
import { controlPlane, startControlPlane } from '../support/control-plane.js';

const CONFIG_MAP: ObjectType = { apiVersion: 'v1', kind: 'ConfigMap' };
const LABEL = 'watched-objects.test/owner';

function configMap(namespace: string, name: string, value: string, owner = 'us'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { [LABEL]: owner } },
    data: { value },
  };
}

/** name=value of what the cache serves, sorted; undefined while the collection is not synced. */
function served(cache: WatchedObjects, namespace: string): string[] | undefined {
  return cache
    .objects(CONFIG_MAP, namespace)
    ?.map((o) => `${o.metadata.name}=${(o.data as Record<string, string>).value}`)
    .sort();
}

/** Polls until the cache serves `expected` (a watch delivers when it delivers; how fast is not asserted). */
async function until(cache: WatchedObjects, namespace: string, expected: string[]): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (JSON.stringify(served(cache, namespace)) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(served(cache, namespace), expected);
}

async function untilSeen(cache: WatchedObjects, object: KubeObject): Promise<void> {
  for (let i = 0; i < 500 && !cache.seen(object); i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(cache.seen(object), `the watch never showed version ${object.metadata.resourceVersion}`);
}

/** A client whose first list answers with a version long gone, as after a compaction: the watch gets 410. */
class StaleFirstList extends KubeClient {
  lists = 0;
  override async listVersioned(type: ObjectType, namespace: string | undefined, selector?: string) {
    const list = await super.listVersioned(type, namespace, selector);
    return ++this.lists === 1 ? { ...list, resourceVersion: '1' } : list;
  }
}

describe('watched objects (a watch cache on the real API server)', function () {
  this.timeout(60_000);

  it('serves nothing until synced, then converges on what others create, change and delete', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('watched');
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath);
    const cache = new WatchedObjects(kube, `${LABEL}=us`);
    try {
      await cp.kubeApi.apply(configMap(namespace, 'a', '1'));
      await cp.kubeApi.apply(configMap(namespace, 'theirs', '1', 'them'));
      assert.equal(served(cache, namespace), undefined, 'not synced on the first ask: the caller lists');
      await until(cache, namespace, ['a=1']);
      assert.equal(cache.synced(), true);
      await cp.kubeApi.apply(configMap(namespace, 'b', '1'));
      await cp.kubeApi.apply(configMap(namespace, 'a', '2'));
      await until(cache, namespace, ['a=2', 'b=1']);
      await cp.kubeApi.delete(CONFIG_MAP, namespace, 'a');
      await until(cache, namespace, ['b=1']);
      // Our label put on by someone else: it becomes ours to see; taken off: gone from the cache.
      await cp.kubeApi.apply(configMap(namespace, 'theirs', '1', 'us'));
      await until(cache, namespace, ['b=1', 'theirs=1']);
      await cp.kubeApi.apply(configMap(namespace, 'theirs', '1', 'them'));
      await until(cache, namespace, ['b=1']);
      // Objects as lists and watches hand them on: without managedFields.
      assert.ok(cache.objects(CONFIG_MAP, namespace)!.every((o) => o.metadata.managedFields === undefined));
    } finally {
      await cache.stop();
      kube.close();
    }
  });

  it('shows our own write and delete at once, and the watch takes over once it has seen them', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('written');
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath);
    const cache = new WatchedObjects(kube, `${LABEL}=us`);
    try {
      await cp.kubeApi.apply(configMap(namespace, 'a', '1'));
      served(cache, namespace);
      await until(cache, namespace, ['a=1']);
      const written = await kube.apply(configMap(namespace, 'a', '2'));
      cache.wrote(written);
      assert.deepEqual(served(cache, namespace), ['a=2'], 'the write, before or after the watch shows it');
      const live = cache.objects(CONFIG_MAP, namespace)![0]!;
      assert.equal(live.metadata.resourceVersion, written.metadata.resourceVersion);
      await untilSeen(cache, written);
      const answer = await kube.delete(CONFIG_MAP, namespace, 'a');
      cache.deleted(live, answer);
      assert.deepEqual(served(cache, namespace), [], 'the delete, before or after the watch shows it');
      // A write the watch later contradicts (someone re-creates it) is not held against the watch.
      const again = await cp.kubeApi.apply(configMap(namespace, 'a', '3'));
      await until(cache, namespace, ['a=3']);
      await untilSeen(cache, again);
    } finally {
      await cache.stop();
      kube.close();
    }
  });

  it('lists afresh when the API server answers 410 Gone to the version it watches from', async () => {
    // ConfigMap watches served by etcd itself (no watch cache), so that a compaction makes old versions gone.
    const cp = await startControlPlane({ apiServerArgs: ['--watch-cache-sizes=configmaps#0'] });
    const namespace = await cp.newNamespace('gone');
    const kube = new StaleFirstList(KubeClient.fromKubeconfig(cp.kubeconfigPath)['kc' as never]);
    const cache = new WatchedObjects(kube, `${LABEL}=us`);
    try {
      await cp.kubeApi.apply(configMap(namespace, 'a', '1'));
      await cp.kubeApi.apply(configMap(namespace, 'a', '1b'));
      await cp.compactEtcd();
      served(cache, namespace);
      await until(cache, namespace, ['a=1b']);
      // The first list's items are current; its version is what is gone: the watch from it is answered 410.
      for (let i = 0; i < 500 && kube.lists < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(kube.lists, 2, 'the 410 was followed by one list');
      // And the watch after that list goes on.
      await cp.kubeApi.apply(configMap(namespace, 'a', '2'));
      await until(cache, namespace, ['a=2']);
    } finally {
      await cache.stop();
      kube.close();
      await cp.stop();
    }
  });

  it('stops: no watch is left open and nothing is served', async () => {
    const cp = await controlPlane();
    const namespace = await cp.newNamespace('stopped');
    const kube = KubeClient.fromKubeconfig(cp.kubeconfigPath);
    const errors: unknown[] = [];
    const cache = new WatchedObjects(kube, `${LABEL}=us`, (_c, error) => errors.push(error));
    await cp.kubeApi.apply(configMap(namespace, 'a', '1'));
    served(cache, namespace);
    await until(cache, namespace, ['a=1']);
    await cache.stop();
    kube.close();
    assert.equal(cache.synced(), false);
    assert.deepEqual(errors, [], 'a stop is not an error');
  });
});
