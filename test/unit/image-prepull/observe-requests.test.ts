// ImagePrepull's observe asks for pods only when its DaemonSet says some are not ready: a DaemonSet its
// controller has not reported on yet, or a healthy one, costs no request (and so its render is reused).
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { observeImagePrepull } from '../../../src/kinds/image-prepull/observe.js';
import type { ImagePrepullSpec } from '../../../src/kinds/image-prepull/types.js';
import type { ObserveContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

const manifest: Manifest<ImagePrepullSpec> = {
  key: 'ImagePrepull/tools',
  kind: 'ImagePrepull',
  name: 'tools',
  spec: { images: [{ name: 'busybox', image: 'busybox:1.36' }], recreateUnhealthyAfter: '30m' },
  origin: { file: 'tools.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
};

function daemonSet(status?: Record<string, number>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'tools', namespace: 'ns', generation: 1 },
    spec: { template: { metadata: {} } },
    ...(status ? { status: { observedGeneration: 1, ...status } } : {}),
  };
}

async function podListsFor(live: KubeObject): Promise<number> {
  let lists = 0;
  const context = {
    namespace: 'ns',
    live: [live],
    listObjects: async () => {
      lists++;
      return [];
    },
  } as unknown as ObserveContext;
  await observeImagePrepull(manifest, context);
  return lists;
}

describe('ImagePrepull observe requests', () => {
  it('lists no pods for a DaemonSet without a status yet', async () => {
    assert.equal(await podListsFor(daemonSet()), 0);
  });

  it('lists no pods when every scheduled pod is ready', async () => {
    assert.equal(
      await podListsFor(
        daemonSet({
          desiredNumberScheduled: 2,
          numberReady: 2,
          updatedNumberScheduled: 2,
          numberAvailable: 2,
        }),
      ),
      0,
    );
  });

  it('lists the pods once when some scheduled pods are not ready', async () => {
    assert.equal(
      await podListsFor(
        daemonSet({
          desiredNumberScheduled: 2,
          numberReady: 1,
          updatedNumberScheduled: 2,
          numberAvailable: 1,
        }),
      ),
      1,
    );
  });
});
