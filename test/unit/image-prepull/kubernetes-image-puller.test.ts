import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { imagePrepullKind } from '../../../src/kinds/image-prepull/index.js';
import { convertKubernetesImagePuller } from '../../../src/kinds/image-prepull/kubernetes-image-puller.js';
import { findKind } from '../../../src/kinds/registry.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

function schema(file: string) {
  return new Ajv({ allErrors: true }).compile<Loose>(JSON.parse(readFileSync(`schemas/${file}`, 'utf8')));
}

function documents(file: string): Loose[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON());
}

describe("kubernetes-image-puller's configuration", () => {
  it('is found as image-gitops.io/v1alpha1 KubernetesImagePuller, and plain ConfigMaps are not claimed', () => {
    assert.equal(findKind('image-gitops.io/v1alpha1', 'KubernetesImagePuller')?.definition, imagePrepullKind);
    assert.equal(findKind('v1', 'ConfigMap'), undefined);
  });

  it("accepts the puller's ConfigMap data keys and requires IMAGES", () => {
    const validate = schema('image-gitops.io-kubernetesimagepuller.schema.json');
    const [doc] = documents('sample-repo/image-prepull/kubernetes-image-puller.yaml');
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    const withoutImages = { ...doc, data: { ...doc!.data, IMAGES: undefined } };
    delete withoutImages.data.IMAGES;
    assert.equal(validate(withoutImages), false);
    assert.equal(
      validate.errors?.[0]?.params && (validate.errors[0].params as Loose).missingProperty,
      'IMAGES',
    );
  });

  it('converts every setting, keeping the puller DaemonSet name and its Always pull policy', () => {
    const spec = convertKubernetesImagePuller({
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'KubernetesImagePuller',
      metadata: { name: 'kip' },
      data: {
        IMAGES: 'a=img:1;b=img:2',
        CACHING_INTERVAL_HOURS: '1',
        CACHING_MEMORY_REQUEST: '10Mi',
        CACHING_MEMORY_LIMIT: '20Mi',
        CACHING_CPU_REQUEST: '.05',
        CACHING_CPU_LIMIT: '.2',
        NODE_SELECTOR: '{"pool":"dev"}',
        IMAGE_PULL_SECRETS: 's1;s2',
        AFFINITY: '{}',
        TOLERATIONS: '[{"operator":"Exists"}]',
        KIP_IMAGE: 'quay.io/eclipse/kubernetes-image-puller:next',
      },
    });
    assert.deepEqual(spec, {
      images: 'a=img:1;b=img:2',
      daemonSetName: 'kubernetes-image-puller',
      resources: { requests: { memory: '10Mi', cpu: '.05' }, limits: { memory: '20Mi', cpu: '.2' } },
      nodeSelector: '{"pool":"dev"}',
      affinity: '{}',
      tolerations: '[{"operator":"Exists"}]',
      imagePullSecrets: 's1;s2',
      sleepImage: 'quay.io/eclipse/kubernetes-image-puller:next',
      recreateUnhealthyAfter: '1h',
      imagePullPolicy: 'Always',
    });
    assert.deepEqual(imagePrepullKind.check?.(spec), []);
  });

  it('gives a converted configuration that our own schema accepts', () => {
    const ours = schema('image-prepull.schema.json');
    const [doc] = documents('sample-repo/image-prepull/kubernetes-image-puller.yaml');
    const spec = convertKubernetesImagePuller(doc!);
    assert.ok(
      ours({ apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull', metadata: doc!.metadata, spec }),
      JSON.stringify(ours.errors),
    );
    assert.deepEqual(imagePrepullKind.check?.(spec), []);
  });

  it('accepts our samples in list and string forms', () => {
    const validate = schema('image-prepull.schema.json');
    const docs = documents('sample-repo/image-prepull/workspace-images.yaml');
    assert.equal(docs.length, 2);
    for (const doc of docs) {
      assert.ok(validate(doc), JSON.stringify(validate.errors));
      assert.deepEqual(imagePrepullKind.check?.(doc.spec), []);
    }
  });
});
