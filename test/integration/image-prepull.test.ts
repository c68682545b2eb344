import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import { imagePrepullKind } from '../../src/kinds/image-prepull/index.js';
import { convertKubernetesImagePuller } from '../../src/kinds/image-prepull/kubernetes-image-puller.js';
import type { ImagePrepullSpec } from '../../src/kinds/image-prepull/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

function render(name: string, namespace: string, spec: ImagePrepullSpec): KubeObject[] {
  return imagePrepullKind.render(
    {
      key: `ImagePrepull/${namespace}/${name}`,
      kind: 'ImagePrepull',
      name,
      namespace,
      spec,
      origin: { file: 'prepull.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
    },
    {
      namespace: 'default',
      settings: DEFAULT_SETTINGS,
      commit: { sha: 'f'.repeat(40), author: 'it', date: '2026-01-01T00:00:00Z', message: 'it' },
      live: [],
      observed: undefined,
    },
  );
}

function samples(file: string): Loose[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON());
}

describe('ImagePrepull DaemonSets on a real kube-apiserver', function () {
  this.timeout(120_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await controlPlane();
  });

  it('accepts the DaemonSets of our samples, in list and string forms', async () => {
    const namespace = await cp.newNamespace('prepull');
    for (const doc of samples('sample-repo/image-prepull/workspace-images.yaml')) {
      for (const object of render(doc.metadata.name, namespace, doc.spec)) {
        const stored = (await cp.kubeApi.apply(object)) as Loose;
        assert.ok(stored.metadata.uid);
        assert.equal(stored.spec.template.spec.initContainers[0].name, 'copy-sleep');
        assert.ok(stored.spec.template.spec.containers.length >= 2);
      }
    }
  });

  it("accepts the DaemonSet of kubernetes-image-puller's configuration, under the puller's name", async () => {
    const namespace = await cp.newNamespace('kip');
    const [doc] = samples('sample-repo/image-prepull/kubernetes-image-puller.yaml');
    // The sample's NAMESPACE is where the DaemonSet goes: here, the test's own namespace.
    const spec = convertKubernetesImagePuller({ ...doc, data: { ...doc.data, NAMESPACE: namespace } });
    const [object] = render(doc!.metadata.name, 'elsewhere', spec);
    const stored = (await cp.kubeApi.apply(object!)) as Loose;
    assert.equal(stored.metadata.name, 'kubernetes-image-puller');
    assert.equal(stored.metadata.namespace, namespace);
    assert.deepEqual(stored.spec.template.spec.tolerations, [{ operator: 'Exists' }]);
    // The server normalizes ".05" CPU to 50m: the same quantity the puller asked for.
    assert.equal(stored.spec.template.spec.containers[0].resources.requests.cpu, '50m');
  });
});
