import assert from 'node:assert/strict';
import {
  formatImageReference,
  parseImageReference,
  registryApiHost,
} from '../../../src/registry/references.js';

describe('image references', () => {
  it('reads a bare name as Docker Hub library/<name>, served by registry-1.docker.io', () => {
    assert.deepEqual(parseImageReference('nginx'), { registry: 'docker.io', repository: 'library/nginx' });
    assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
    assert.deepEqual(parseImageReference('index.docker.io/bitnami/redis:7'), {
      registry: 'docker.io',
      repository: 'bitnami/redis',
      tag: '7',
    });
  });

  it('keeps a registry host with a port, and reads tag and digest', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    assert.deepEqual(parseImageReference(`127.0.0.1:5000/a/b:v1@${digest}`), {
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      tag: 'v1',
      digest,
    });
    assert.equal(
      formatImageReference(parseImageReference('quay.io/argoproj/argocd:v2.13.1')),
      'quay.io/argoproj/argocd:v2.13.1',
    );
  });

  it('refuses upper-case repositories and bad digests with a message naming the reference', () => {
    assert.throws(() => parseImageReference('quay.io/Argo/cd'), /"quay.io\/Argo\/cd".*repository/);
    assert.throws(() => parseImageReference('nginx@sha256:xyz'), /not a sha256 digest/);
  });
});
