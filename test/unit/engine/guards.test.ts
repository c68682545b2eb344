// The guards between render and plan, without an API server: only the manifests with an object to create
// are looked up, the others come back as they were, in their order.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { LABELS, MANAGER_NAME } from '../../../src/core/labels.js';
import { refuseDuplicateObjects, refuseForeignObjects } from '../../../src/engine/guards.js';
import type { RenderedManifest } from '../../../src/engine/render-manifests.js';

function daemonSet(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'ns', labels } };
}

function rendered(name: string, objects: KubeObject[], file = `${name}.yaml`): RenderedManifest {
  return {
    manifest: {
      key: `ImagePrepull/${name}`,
      kind: 'ImagePrepull',
      name,
      spec: {},
      origin: { file, line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
    },
    objects,
    problems: [],
  };
}

describe('guards', () => {
  it('looks up only the objects to create, and refuses one that exists and is not ours', async () => {
    const owned = daemonSet('owned', { [LABELS.managedBy]: MANAGER_NAME, [LABELS.instance]: 'i' });
    const input: RenderedManifest[] = [
      rendered('a', [owned]),
      rendered('b', [daemonSet('someone-elses')]),
      { ...rendered('c', [daemonSet('c')]), problems: [{ code: 'RENDER_FAILED' as const, message: 'no' }] },
      rendered('d', [daemonSet('new')]),
      rendered('e', [owned]),
    ];
    const asked: string[] = [];
    const kube = {
      get: async (_type: unknown, _ns: string | undefined, name: string) => {
        asked.push(name);
        return name === 'someone-elses' ? daemonSet(name) : undefined;
      },
      list: async () => [],
    };
    const out = await refuseForeignObjects(input, [owned], kube, 'i');
    assert.deepEqual(asked.sort(), ['new', 'someone-elses']);
    assert.equal(out[0], input[0]);
    assert.equal(out[1]?.problems[0]?.code, 'OBJECT_CONFLICT');
    assert.deepEqual(out[1]?.objects, []);
    assert.equal(out[2], input[2]);
    assert.equal(out[3], input[3]);
    assert.equal(out[4], input[4]);
  });

  it('refuses the later of two manifests rendering one object, whatever order they come in', () => {
    const first = rendered('first', [daemonSet('same')], 'a.yaml');
    const later = rendered('later', [daemonSet('same')], 'b.yaml');
    for (const input of [
      [first, later],
      [later, first],
    ]) {
      const out = refuseDuplicateObjects(input, 'ns');
      const byKey = new Map(out.map((r) => [r.manifest.key, r]));
      assert.equal(byKey.get('ImagePrepull/first'), first);
      assert.equal(byKey.get('ImagePrepull/later')?.problems[0]?.code, 'DUPLICATE_OBJECT');
      assert.deepEqual(
        out.map((r) => r.manifest.key),
        input.map((r) => r.manifest.key),
      );
    }
  });
});
