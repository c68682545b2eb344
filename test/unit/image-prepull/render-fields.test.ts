// The prepull DaemonSet field by field (API version, labels, rollout, pod and container security), the
// spec problem a render refuses, and which live DaemonSet the re-creation rule reads.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { ImageGitopsError } from '../../../src/core/errors.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { RECREATED_AT_ANNOTATION } from '../../../src/kinds/image-prepull/recreate.js';
import { renderImagePrepull } from '../../../src/kinds/image-prepull/render.js';
import type { ImagePrepullSpec } from '../../../src/kinds/image-prepull/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of the rendered DaemonSet
type Loose = any;

const T0 = '2026-03-01T10:00:00.000Z';
const LATER = '2026-03-01T12:00:00.000Z';
const SPEC: ImagePrepullSpec = { images: [{ name: 'code', image: 'quay.io/che/code:1' }] };

function manifest(spec: ImagePrepullSpec): Manifest<ImagePrepullSpec> {
  return {
    key: 'ImagePrepull/tools',
    kind: 'ImagePrepull',
    name: 'tools',
    spec,
    origin: {
      file: 'prepull/tools.yaml',
      line: 4,
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImagePrepull',
    },
  };
}

function render(spec: ImagePrepullSpec = SPEC, live: KubeObject[] = [], observed?: unknown): Loose {
  const [ds] = renderImagePrepull(manifest(spec), {
    namespace: 'prepull',
    settings: DEFAULT_SETTINGS,
    commit: { sha: 'c'.repeat(40), author: 't', date: '2026-01-01T00:00:00Z', message: 't' },
    live,
    observed,
  });
  return ds as Loose;
}

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

describe('ImagePrepull DaemonSet fields', () => {
  it('is an apps/v1 DaemonSet selecting its pods by the manifest name, rolled out node by node', () => {
    const ds = render();
    const labels = { 'app.kubernetes.io/name': 'image-prepull', 'app.kubernetes.io/instance': 'tools' };
    assert.equal(ds.apiVersion, 'apps/v1');
    assert.equal(ds.kind, 'DaemonSet');
    assert.deepEqual(ds.metadata, { name: 'tools', namespace: 'prepull', labels });
    assert.deepEqual(ds.spec.selector, { matchLabels: labels });
    assert.deepEqual(ds.spec.template.metadata, { labels });
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate' });
  });

  it('runs the pod under the RuntimeDefault seccomp profile', () => {
    assert.deepEqual(render().spec.template.spec.securityContext, {
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('runs every image without privilege escalation, capabilities or a writable root', () => {
    assert.deepEqual(render().spec.template.spec.containers[0].securityContext, RESTRICTED);
  });

  it('copies the sleep binary as a non-root user under the same restrictions', () => {
    assert.deepEqual(render().spec.template.spec.initContainers[0].securityContext, {
      ...RESTRICTED,
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
    });
  });

  it('refuses to render a spec with a problem, as INVALID_SPEC at its field', () => {
    assert.throws(
      () => render({ images: 'a=img:1;broken' }),
      (error: unknown) => {
        assert.ok(error instanceof ImageGitopsError);
        const problem = error.toProblem();
        assert.equal(problem.code, 'INVALID_SPEC');
        assert.match(problem.message, /"broken" is not name=image/);
        assert.deepEqual(problem.location, { file: 'prepull/tools.yaml', field: '/spec/images' });
        return true;
      },
    );
  });
});

describe('ImagePrepull re-creation reads only its own live DaemonSet', () => {
  const spec: ImagePrepullSpec = { ...SPEC, recreateUnhealthyAfter: '1h' };
  const observed = { now: LATER, unreadySince: T0 };
  /** Unhealthy: 3 nodes wanted, 1 available. */
  const unhealthy = (fields: { kind?: string; name?: string; namespace?: string } = {}): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: fields.kind ?? 'DaemonSet',
    metadata: { name: fields.name ?? 'tools', namespace: fields.namespace ?? 'prepull', generation: 1 },
    spec: {},
    status: {
      observedGeneration: 1,
      desiredNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberReady: 1,
      numberAvailable: 1,
    },
  });
  const recreatedAt = (ds: Loose) => ds.spec.template.metadata.annotations?.[RECREATED_AT_ANNOTATION];

  it('re-creates the pods of its unhealthy DaemonSet past the bound', () => {
    assert.equal(recreatedAt(render(spec, [unhealthy()], observed)), LATER);
  });

  it('does not act on a DaemonSet of another name or namespace, nor on another kind of that name', () => {
    for (const other of [
      unhealthy({ name: 'other' }),
      unhealthy({ namespace: 'elsewhere' }),
      unhealthy({ kind: 'Deployment' }),
    ]) {
      assert.equal(recreatedAt(render(spec, [other], observed)), undefined, JSON.stringify(other.metadata));
    }
  });

  it('takes no clock or unready time that is not text from the observed state', () => {
    const dates = { now: new Date(LATER), unreadySince: new Date(T0) };
    assert.equal(recreatedAt(render(spec, [unhealthy()], dates)), undefined);
  });
});
