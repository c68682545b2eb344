// The overlay rules of the watch cache (src/kube/watched-objects.ts): when our own writes are shown over the
// informer's copy and when the informer's view takes over. The informer here is an in-memory one the test
// moves by hand, so that each ordering (the watch behind, at, or past our write) is shown deterministically;
// test/integration/watched-objects.test.ts runs the same class against a real API server.
import assert from 'node:assert/strict';
import type { KubeObject, ObjectType } from '../../../src/core/kube-object.js';
import type { CollectionInformer, KubeApi } from '../../../src/kube/types.js';
import { WatchedObjects } from '../../../src/kube/watched-objects.js';

const CONFIG_MAP: ObjectType = { apiVersion: 'v1', kind: 'ConfigMap' };

function cm(name: string, resourceVersion: string, value = resourceVersion, extra = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', resourceVersion, ...extra },
    data: { value },
  };
}

/** An informer whose content and version the test sets; started at once, or failing on demand. */
class HandInformer implements CollectionInformer {
  objects = new Map<string, KubeObject>();
  version = '';
  private readonly callbacks = new Map<string, ((x?: unknown) => void)[]>();
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  list(): readonly KubeObject[] {
    return [...this.objects.values()];
  }
  latestResourceVersion(): string {
    return this.version;
  }
  on = ((verb: string, callback: (x?: unknown) => void): void => {
    this.callbacks.set(verb, [...(this.callbacks.get(verb) ?? []), callback]);
  }) as CollectionInformer['on'];
  fail(error: unknown): void {
    for (const callback of this.callbacks.get('error') ?? []) callback(error);
  }
  set(...objects: KubeObject[]): void {
    for (const o of objects) this.objects.set(o.metadata.name, o);
    this.version = objects.at(-1)?.metadata.resourceVersion ?? this.version;
  }
}

async function synced(): Promise<{ cache: WatchedObjects; informer: HandInformer }> {
  const informer = new HandInformer();
  const kube = { informer: () => informer } as unknown as KubeApi;
  const cache = new WatchedObjects(kube, 'owner=us');
  assert.equal(cache.objects(CONFIG_MAP, 'ns'), undefined, 'the first ask starts the informer');
  await new Promise((resolve) => setImmediate(resolve));
  return { cache, informer };
}

const served = (cache: WatchedObjects) =>
  cache
    .objects(CONFIG_MAP, 'ns')
    ?.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
    .sort();

describe('watched objects: our writes over the watch', () => {
  it('shows a write until the watch reaches its version, then the watch (numeric versions)', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', '10'));
    cache.wrote(cm('a', '12'));
    assert.deepEqual(served(cache), ['a@12'], 'the watch is behind: our write');
    informer.set(cm('b', '11'));
    assert.deepEqual(served(cache), ['a@12', 'b@11'], 'still behind');
    informer.set(cm('a', '13', 'someone else after us'));
    assert.deepEqual(served(cache), ['a@13', 'b@11'], 'past our write: the watch, and the write forgotten');
    informer.set(cm('a', '14'));
    assert.deepEqual(served(cache), ['a@14', 'b@11']);
  });

  it('hides a delete until the watch has passed it, and shows a re-creation after it', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', '10'));
    cache.deleted(cm('a', '10'), cm('a', '15'));
    assert.deepEqual(served(cache), [], 'deleted at 15, the watch at 10');
    informer.set(cm('b', '16'));
    informer.objects.delete('a');
    assert.deepEqual(served(cache), ['b@16']);
    informer.set(cm('a', '17', 're-created'));
    assert.deepEqual(served(cache), ['a@17', 'b@16'], 'created again after our delete: shown');
  });

  it('a delete the server answered without the object: hidden while the watch still holds that version', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', '10'));
    cache.deleted(cm('a', '10'));
    informer.set(cm('b', '20'));
    assert.deepEqual(served(cache), ['b@20'], 'the version we deleted is hidden, later events or not');
    informer.set(cm('a', '21', 'changed after'));
    assert.deepEqual(served(cache), ['a@21', 'b@20'], 'a newer version is the watch’s to show');
  });

  it('a delete answered with a deletionTimestamp: the object stays, marked', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', '10'));
    cache.deleted(cm('a', '10'), cm('a', '11', '11', { deletionTimestamp: '2026-11-30T00:00:00Z' }));
    const [a] = cache.objects(CONFIG_MAP, 'ns')!;
    assert.equal(a?.metadata.deletionTimestamp, '2026-11-30T00:00:00Z');
  });

  it('versions that are not numbers: the write is shown until the watch moves at all', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', 'x1'));
    cache.wrote(cm('a', 'x2'));
    assert.deepEqual(served(cache), ['a@x2']);
    informer.set(cm('a', 'x2'));
    assert.deepEqual(served(cache), ['a@x2']);
    informer.set(cm('a', 'x3'));
    assert.deepEqual(served(cache), ['a@x3']);
  });

  it('strips managedFields from what it keeps of our writes', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', '1'));
    cache.wrote(cm('a', '2', '2', { managedFields: [{ manager: 'image-gitops' }] }));
    assert.equal(cache.objects(CONFIG_MAP, 'ns')![0]!.metadata.managedFields, undefined);
  });

  it('an informer error: the collection is listed by the caller until the informer is back', async () => {
    const { cache, informer } = await synced();
    informer.set(cm('a', '1'));
    assert.equal(cache.synced(), true);
    informer.fail(new Error('connection reset'));
    assert.equal(cache.objects(CONFIG_MAP, 'ns'), undefined);
    assert.equal(cache.synced(), false);
    await cache.stop();
  });

  it('a write while the collection is not synced is not kept (the next sync lists)', async () => {
    const informer = new HandInformer();
    const cache = new WatchedObjects({ informer: () => informer } as unknown as KubeApi, 'owner=us');
    cache.wrote(cm('a', '5'));
    await new Promise((resolve) => setImmediate(resolve));
    informer.set(cm('b', '1'));
    cache.objects(CONFIG_MAP, 'ns');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(served(cache), ['b@1']);
  });
});
