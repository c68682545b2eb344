import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { imagePrepullKind } from '../../../src/kinds/image-prepull/index.js';
import { convertKubernetesImagePuller } from '../../../src/kinds/image-prepull/kubernetes-image-puller.js';
import { observeImagePrepull } from '../../../src/kinds/image-prepull/observe.js';
import {
  decideRecreate,
  RECREATED_AT_ANNOTATION,
  unreadySince,
} from '../../../src/kinds/image-prepull/recreate.js';
import type { ImagePrepullSpec } from '../../../src/kinds/image-prepull/types.js';
import type { ObserveContext, RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered objects
type Loose = any;

const aliasSchema = new Ajv({ allErrors: true }).compile<Loose>(
  JSON.parse(readFileSync('schemas/image-gitops.io-kubernetesimagepuller.schema.json', 'utf8')),
);
const ourSchema = new Ajv({ allErrors: true }).compile<Loose>(
  JSON.parse(readFileSync('schemas/image-prepull.schema.json', 'utf8')),
);

/** A puller ConfigMap as its Helm chart renders it today (cfg/envvars.go keys), two lines changed. */
function pullerDoc(
  data: Record<string, string>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'image-gitops.io/v1alpha1',
    kind: 'KubernetesImagePuller',
    metadata: { name: 'kip' },
    ...extra,
    data: { IMAGES: 'code=quay.io/example/code:next;', ...data },
  };
}

function manifest(spec: ImagePrepullSpec, namespace?: string): Manifest<ImagePrepullSpec> {
  return {
    key: namespace ? `ImagePrepull/${namespace}/kip` : 'ImagePrepull/kip',
    kind: 'ImagePrepull',
    name: 'kip',
    ...(namespace ? { namespace } : {}),
    spec,
    origin: {
      file: 'kip.yaml',
      line: 1,
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'KubernetesImagePuller',
    },
  };
}

function context(live: KubeObject[] = [], now?: string): RenderContext {
  return {
    namespace: 'reconciler-ns',
    settings: DEFAULT_SETTINGS,
    commit: { sha: 'c'.repeat(40), author: 't', date: '2026-01-01T00:00:00Z', message: 't' },
    live,
    observed: now ? { now } : undefined,
  };
}

function renderOne(spec: ImagePrepullSpec, live: KubeObject[] = [], now?: string, namespace?: string): Loose {
  const [ds] = imagePrepullKind.render(manifest(spec, namespace), context(live, now));
  return ds as Loose;
}

/** A DaemonSet as the API server returns it: 3 nodes wanted, `available` of them running the pod. */
function liveDs(
  available: number,
  annotations: Record<string, string> = {},
  template: Record<string, string> = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'kubernetes-image-puller', namespace: 'reconciler-ns', generation: 2, annotations },
    spec: { updateStrategy: { type: 'RollingUpdate' }, template: { metadata: { annotations: template } } },
    status: {
      observedGeneration: 2,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberReady: available,
      numberAvailable: available,
    },
  } as KubeObject;
}

describe("kubernetes-image-puller's ConfigMap keys, as the current puller reads them", () => {
  it('takes DAEMONSET_ANNOTATIONS onto the DaemonSet and its pods ({} meaning none)', () => {
    const doc = pullerDoc({ DAEMONSET_ANNOTATIONS: '{"team":"tools","sidecar.istio.io/inject":"false"}' });
    assert.ok(aliasSchema(doc), JSON.stringify(aliasSchema.errors));
    const spec = convertKubernetesImagePuller(doc);
    assert.deepEqual(imagePrepullKind.check?.(spec), []);
    const ds = renderOne(spec);
    const want = { team: 'tools', 'sidecar.istio.io/inject': 'false' };
    assert.deepEqual(ds.metadata.annotations, want);
    assert.deepEqual(ds.spec.template.metadata.annotations, want);

    const none = renderOne(convertKubernetesImagePuller(pullerDoc({ DAEMONSET_ANNOTATIONS: '{}' })));
    assert.equal(none.metadata.annotations, undefined);
    assert.equal(none.spec.template.metadata.annotations, undefined);
  });

  it('refuses DAEMONSET_ANNOTATIONS that is not a JSON object of strings, at its field', () => {
    const spec = convertKubernetesImagePuller(pullerDoc({ DAEMONSET_ANNOTATIONS: '{"replicas":3}' }));
    assert.deepEqual(
      imagePrepullKind.check?.(spec).map((p) => p.field),
      ['/spec/daemonSetAnnotations'],
    );
  });

  it('puts the DaemonSet in NAMESPACE, over metadata.namespace and the reconciler namespace', () => {
    const spec = convertKubernetesImagePuller(pullerDoc({ NAMESPACE: 'k8s-image-puller' }));
    assert.equal(renderOne(spec, [], undefined, 'config-ns').metadata.namespace, 'k8s-image-puller');
    const blank = convertKubernetesImagePuller(pullerDoc({ NAMESPACE: ' ' }));
    assert.equal(renderOne(blank, [], undefined, 'config-ns').metadata.namespace, 'config-ns');
    assert.equal(renderOne(blank).metadata.namespace, 'reconciler-ns');
  });

  it('refuses a NAMESPACE that is not a namespace name', () => {
    assert.equal(aliasSchema(pullerDoc({ NAMESPACE: 'Not_A_Namespace' })), false);
  });

  it('accepts keys the puller does not read (the 2020 multicluster ones) and a top-level type, listing them as ignored', () => {
    const doc = pullerDoc(
      { OPENSHIFT_PROXY_URL: 'https://proxy', MULTICLUSTER: 'false', DAEMONSET_NAME: 'kip' },
      { type: 'Opaque' },
    );
    assert.ok(aliasSchema(doc), JSON.stringify(aliasSchema.errors));
    const spec = convertKubernetesImagePuller(doc);
    assert.deepEqual(spec.ignoredSettings, ['MULTICLUSTER', 'OPENSHIFT_PROXY_URL', 'type']);
    assert.ok(
      ourSchema({
        apiVersion: 'image-gitops.io/v1alpha1',
        kind: 'ImagePrepull',
        metadata: { name: 'kip' },
        spec,
      }),
      JSON.stringify(ourSchema.errors),
    );
    assert.deepEqual(imagePrepullKind.check?.(spec), []);
  });

  it('reports the ignored keys in the manifest status (observe), as a note and not a problem', async () => {
    const spec = convertKubernetesImagePuller(pullerDoc({ IMPERSONATE_USERS: 'x' }));
    const observed = await observeImagePrepull(manifest(spec), {
      namespace: 'ns',
      live: [],
    } as unknown as ObserveContext);
    assert.match(observed.message ?? '', /ignored .*IMPERSONATE_USERS/);
    // No pod is unready: nothing to decide, so the clock is not part of what was observed (renders reused).
    assert.equal(observed.now, undefined);
  });

  it('reads CACHING_INTERVAL_HOURS as the bound for an unhealthy DaemonSet, 1 hour when not a whole number', () => {
    assert.equal(
      convertKubernetesImagePuller(pullerDoc({ CACHING_INTERVAL_HOURS: '6' })).recreateUnhealthyAfter,
      '6h',
    );
    assert.equal(
      convertKubernetesImagePuller(pullerDoc({ CACHING_INTERVAL_HOURS: 'x' })).recreateUnhealthyAfter,
      '1h',
    );
    assert.equal(convertKubernetesImagePuller(pullerDoc({})).recreateUnhealthyAfter, '1h');
  });
});

describe('an unhealthy prepull DaemonSet is re-created, as kubernetes-image-puller did', () => {
  const hour = 3_600_000;
  const t0 = '2026-03-01T10:00:00.000Z';
  const later = (ms: number) => new Date(Date.parse(t0) + ms).toISOString();
  const spec = convertKubernetesImagePuller(pullerDoc({ CACHING_INTERVAL_HOURS: '1' }));
  const render = (live: KubeObject, now: string, unreadySince?: string) => {
    const [ds] = imagePrepullKind.render(manifest(spec), {
      ...context([live]),
      observed: { now, ...(unreadySince ? { unreadySince } : {}) },
    });
    return ds as Loose;
  };

  it('reads how long pods have not been ready from their Ready condition, or their creation', () => {
    const pod = (name: string, ready?: { status: string; lastTransitionTime: string }, created = t0) =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, creationTimestamp: created },
        status: ready ? { conditions: [{ type: 'Ready', ...ready }] } : {},
      }) as KubeObject;
    assert.equal(unreadySince([pod('a', { status: 'True', lastTransitionTime: t0 })]), undefined);
    assert.equal(
      unreadySince([
        pod('a', { status: 'False', lastTransitionTime: later(hour) }),
        pod('b', undefined, later(hour / 2)),
      ]),
      later(hour / 2),
    );
  });

  it('leaves a healthy DaemonSet alone, whatever its pods say', () => {
    const ds = render(liveDs(3), later(5 * hour), t0);
    assert.equal(ds.spec.template.metadata.annotations, undefined);
  });

  it('leaves an unhealthy one alone while its pods have been unready for less than the bound: no write', () => {
    const ds = render(liveDs(1), later(hour / 2), t0);
    assert.equal(ds.spec.template.metadata.annotations, undefined);
  });

  it('past the bound, re-creates every pod through a new pod-template annotation, never deleting the DaemonSet', () => {
    const now = later(hour + 1);
    const ds = render(liveDs(1), now, t0);
    assert.deepEqual(ds.spec.template.metadata.annotations, { [RECREATED_AT_ANNOTATION]: now });
    assert.equal(ds.metadata.name, 'kubernetes-image-puller');
  });

  it('keeps the last stamp, so nothing rolls by itself, and re-creates at most once per bound', () => {
    const stamped = liveDs(1, {}, { [RECREATED_AT_ANNOTATION]: later(hour) });
    assert.deepEqual(render(stamped, later(1.5 * hour), t0).spec.template.metadata.annotations, {
      [RECREATED_AT_ANNOTATION]: later(hour),
    });
    const healthy = liveDs(3, {}, { [RECREATED_AT_ANNOTATION]: t0 });
    assert.deepEqual(render(healthy, later(5 * hour)).spec.template.metadata.annotations, {
      [RECREATED_AT_ANNOTATION]: t0,
    });
  });

  it('does nothing with `never`, nor without the clock and the pods of the observe step', () => {
    const never = { ...spec, recreateUnhealthyAfter: 'never' };
    const [ds] = imagePrepullKind.render(manifest(never), {
      ...context([liveDs(0)]),
      observed: { now: later(9 * hour), unreadySince: t0 },
    });
    assert.equal((ds as Loose).spec.template.metadata.annotations, undefined);
    assert.deepEqual(decideRecreate(liveDs(0), hour, undefined, t0), { template: {} });
    assert.deepEqual(decideRecreate(liveDs(0), hour, later(9 * hour), undefined), { template: {} });
  });
});

describe('prepull observe', () => {
  const spec = convertKubernetesImagePuller(pullerDoc({}));
  const observeWith = async (live: KubeObject[]) => {
    const listed: string[] = [];
    const observed = await observeImagePrepull(manifest(spec), {
      namespace: 'reconciler-ns',
      live,
      listObjects: async (type: { kind: string }, namespace?: string, selector?: string) => {
        listed.push(`${type.kind} ${namespace} ${selector}`);
        return [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p', creationTimestamp: '2026-03-01T10:00:00Z' },
            status: {
              conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-03-01T10:05:00Z' }],
            },
          },
        ] as KubeObject[];
      },
    } as unknown as ObserveContext);
    return { observed, listed };
  };
  const ds = (available: number) =>
    ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kubernetes-image-puller', namespace: 'reconciler-ns', generation: 1 },
      spec: {},
      status: {
        observedGeneration: 1,
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberAvailable: available,
      },
    }) as KubeObject;

  it('lists no pod for a healthy DaemonSet, and reads since when a pod is unready for an unhealthy one', async () => {
    assert.deepEqual((await observeWith([ds(2)])).listed, []);
    const { observed, listed } = await observeWith([ds(1)]);
    assert.deepEqual(listed, [
      'Pod reconciler-ns app.kubernetes.io/name=image-prepull,app.kubernetes.io/instance=kip',
    ]);
    assert.equal(observed.unreadySince, '2026-03-01T10:05:00Z');
    assert.match(observed.message ?? '', /re-creating the DaemonSet's pods/);
  });
});
