// RegistryMirror's render: the specs it refuses (code, message, file, field), mirror-operator's hostess mode
// without a certificate, and the credentials hash it takes from observe only when it is text.
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { ImageGitopsError } from '../../../src/core/errors.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { renderRegistryMirror } from '../../../src/kinds/registry-mirror/render.js';
import { CREDENTIALS_HASH_ANNOTATION } from '../../../src/kinds/registry-mirror/render-registry.js';
import type { RegistryMirrorSpec } from '../../../src/kinds/registry-mirror/types.js';
import type { RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

function context(observed: unknown = undefined): RenderContext {
  return {
    namespace: 'mirrors',
    settings: DEFAULT_SETTINGS,
    commit: { sha: 'a'.repeat(40), author: 'test', date: '2026-01-01T00:00:00Z', message: 'test' },
    live: [],
    observed,
  };
}

function manifest(
  spec: RegistryMirrorSpec,
  apiVersion = 'image-gitops.io/v1alpha1',
): Manifest<RegistryMirrorSpec> {
  return {
    key: 'RegistryMirror/hub',
    kind: 'RegistryMirror',
    name: 'hub',
    spec,
    origin: { file: 'mirrors.yaml', line: 1, apiVersion, kind: 'RegistryMirror' },
  };
}

function refusal(render: () => unknown): ImageGitopsError {
  try {
    render();
  } catch (error) {
    assert.ok(error instanceof ImageGitopsError, String(error));
    return error;
  }
  assert.fail('rendered a spec it should refuse');
}

function podAnnotations(objects: KubeObject[]): Record<string, string> {
  const statefulSet = objects.find((o) => o.kind === 'StatefulSet') as
    | (KubeObject & { spec: { template: { metadata: { annotations: Record<string, string> } } } })
    | undefined;
  assert.ok(statefulSet);
  return statefulSet.spec.template.metadata.annotations;
}

describe('RegistryMirror render: refusals', () => {
  it('refuses a spec its check refuses, with the first problem at its field', () => {
    const error = refusal(() =>
      renderRegistryMirror(
        manifest({ upstreamUrl: 'docker.io/library', nodes: { certsDir: '/x' } }),
        context(),
      ),
    );
    assert.equal(error.code, 'INVALID_SPEC');
    assert.match(error.message, /^"docker\.io\/library" is not a registry address/);
    assert.deepEqual(error.location, { file: 'mirrors.yaml', field: '/spec/upstreamUrl' });
  });

  it("refuses mirror-operator's hostess mode without a certificate, at /spec/tls", () => {
    const error = refusal(() =>
      renderRegistryMirror(manifest({ upstreamUrl: 'docker.io' }, 'k8s.osp.tech/v1'), context()),
    );
    assert.equal(error.code, 'INVALID_SPEC');
    assert.match(error.message, /^nodeConfig hosts \(mirror-operator's hostess mode\) serves /);
    assert.deepEqual(error.location, { file: 'mirrors.yaml', field: '/spec/tls' });
  });

  it("renders mirror-operator's hostess mode with a certificate, and our own kind without one", () => {
    const hostess = renderRegistryMirror(
      manifest({ upstreamUrl: 'docker.io', tls: { secretName: 'hub-tls' } }, 'k8s.osp.tech/v1'),
      context(),
    );
    assert.ok(hostess.some((o) => o.kind === 'StatefulSet'));
    const ours = renderRegistryMirror(manifest({ upstreamUrl: 'docker.io' }), context());
    assert.ok(ours.some((o) => o.kind === 'StatefulSet'));
  });
});

describe('RegistryMirror render: the credentials hash', () => {
  it('rolls the pods on the observed hash of the credentials', () => {
    const objects = renderRegistryMirror(
      manifest({ upstreamUrl: 'docker.io' }),
      context({ credentialsHash: 'abc123' }),
    );
    assert.equal(podAnnotations(objects)[CREDENTIALS_HASH_ANNOTATION], 'abc123');
  });

  it('takes no hash that is not text, nor one from no observation', () => {
    for (const observed of [{ credentialsHash: 42 }, { credentialsHash: { x: 1 } }, undefined]) {
      const objects = renderRegistryMirror(manifest({ upstreamUrl: 'docker.io' }), context(observed));
      assert.equal(CREDENTIALS_HASH_ANNOTATION in podAnnotations(objects), false, JSON.stringify(observed));
    }
  });
});
