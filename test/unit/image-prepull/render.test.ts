import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { imagePrepullKind } from '../../../src/kinds/image-prepull/index.js';
import type { ImagePrepullSpec } from '../../../src/kinds/image-prepull/types.js';
import type { RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

const context: RenderContext = {
  namespace: 'prepull',
  settings: DEFAULT_SETTINGS,
  commit: { sha: 'c'.repeat(40), author: 'test', date: '2026-01-01T00:00:00Z', message: 'test' },
  live: [],
  observed: undefined,
};

function render(spec: ImagePrepullSpec, name = 'workspace'): Loose {
  const manifest: Manifest<ImagePrepullSpec> = {
    key: `ImagePrepull/${name}`,
    kind: 'ImagePrepull',
    name,
    spec,
    origin: { file: 'p.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
  };
  const objects: KubeObject[] = imagePrepullKind.render(manifest, context);
  assert.equal(objects.length, 1);
  return objects[0] as Loose;
}

describe('ImagePrepull render', () => {
  it('renders one DaemonSet with a container per image that runs /kip/sleep 720h', () => {
    const ds = render({
      images: [
        { name: 'che-code', image: 'quay.io/che/code:1' },
        { name: 'scratch', image: 'reg/s:1' },
      ],
    });
    assert.equal(ds.kind, 'DaemonSet');
    assert.equal(ds.metadata.name, 'workspace');
    assert.equal(ds.metadata.namespace, 'prepull');
    const pod = ds.spec.template.spec;
    assert.deepEqual(
      pod.containers.map((c: Loose) => [c.name, c.image, c.command, c.args]),
      [
        ['che-code', 'quay.io/che/code:1', ['/kip/sleep'], ['720h']],
        ['scratch', 'reg/s:1', ['/kip/sleep'], ['720h']],
      ],
    );
    assert.deepEqual(ds.spec.selector.matchLabels, ds.spec.template.metadata.labels);
  });

  it('copies the static sleep from the sleep image into the kip emptyDir first', () => {
    const pod = render({ images: 'a=img:1' }).spec.template.spec;
    assert.deepEqual(pod.volumes, [{ name: 'kip', emptyDir: { sizeLimit: '50Mi' } }]);
    const init = pod.initContainers[0];
    assert.equal(init.image, DEFAULT_SETTINGS.images.sleep);
    assert.deepEqual(init.command, ['/bin/sh', '-c', 'cp /bin/sleep /kip/sleep']);
    assert.deepEqual(init.volumeMounts, [{ name: 'kip', mountPath: '/kip' }]);
    assert.deepEqual(pod.containers[0].volumeMounts, [{ name: 'kip', mountPath: '/kip' }]);
    assert.equal(init.securityContext.runAsNonRoot, true);
  });

  it("defaults each container to kubernetes-image-puller's 10Mi/20Mi and 50m/200m, pulling Always", () => {
    const container = render({ images: 'a=img:1' }).spec.template.spec.containers[0];
    assert.deepEqual(container.resources, {
      requests: { cpu: '50m', memory: '10Mi' },
      limits: { cpu: '200m', memory: '20Mi' },
    });
    assert.equal(container.imagePullPolicy, 'Always');
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  });

  it('applies node selection, pull secrets, pull policy, resources and the DaemonSet name', () => {
    const ds = render({
      images: [{ name: 'a', image: 'img:1' }],
      daemonSetName: 'kubernetes-image-puller',
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
      },
      tolerations: [{ operator: 'Exists' }],
      imagePullSecrets: ['pull-a', 'pull-b'],
      imagePullPolicy: 'IfNotPresent',
      resources: { limits: { memory: '64Mi' } },
      sleepImage: 'registry.local/kip:1',
    });
    const pod = ds.spec.template.spec;
    assert.equal(ds.metadata.name, 'kubernetes-image-puller');
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.ok(pod.affinity.nodeAffinity);
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual(pod.imagePullSecrets, [{ name: 'pull-a' }, { name: 'pull-b' }]);
    assert.equal(pod.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(pod.containers[0].resources.limits, { cpu: '200m', memory: '64Mi' });
    assert.equal(pod.initContainers[0].image, 'registry.local/kip:1');
  });

  it("reads kubernetes-image-puller's string forms the same as the structured ones", () => {
    const fromStrings = render({
      images: 'a=img:1;b=img:2',
      nodeSelector: '{"kubernetes.io/os":"linux"}',
      affinity: '{}',
      tolerations: '[{"operator":"Exists"}]',
      imagePullSecrets: 'pull-a;pull-b;',
    });
    const fromObjects = render({
      images: [
        { name: 'a', image: 'img:1' },
        { name: 'b', image: 'img:2' },
      ],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ operator: 'Exists' }],
      imagePullSecrets: ['pull-a', 'pull-b'],
    });
    assert.deepEqual(fromStrings, fromObjects);
  });

  it('reports bad IMAGES entries, JSON and secret names as spec problems, and refuses to render them', () => {
    const spec: ImagePrepullSpec = {
      images: 'a=img:1;broken',
      nodeSelector: '{"x": 1}',
      tolerations: '[{"operator":',
      imagePullSecrets: 'ok;Not Valid',
    };
    const problems = imagePrepullKind.check?.(spec) ?? [];
    assert.deepEqual(
      problems.map((p) => p.field),
      ['/spec/images', '/spec/imagePullSecrets', '/spec/nodeSelector', '/spec/tolerations'],
    );
    assert.match(problems[0]!.message, /"broken" is not name=image/);
    assert.match(problems[2]!.message, /NODE_SELECTOR must be a JSON object of strings/);
    assert.match(problems[3]!.message, /TOLERATIONS is not valid JSON/);
    assert.throws(() => render(spec), /"broken" is not name=image/);
  });
});
