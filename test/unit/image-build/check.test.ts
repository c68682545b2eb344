// ImageBuild's checks beyond the schema: each refusal at its field path with its message, and the specs
// next to it that pass.
import assert from 'node:assert/strict';
import { checkImageBuild } from '../../../src/kinds/image-build/check.js';
import type { ImageBuildSpec } from '../../../src/kinds/image-build/types.js';

const base: ImageBuildSpec = { image: 'registry.example.com/team/app', context: { path: 'app' } };

function check(spec: Partial<ImageBuildSpec>): ReturnType<typeof checkImageBuild> {
  return checkImageBuild({ ...base, ...spec });
}

describe('ImageBuild checks', () => {
  it('passes a repository with a context', () => {
    assert.deepEqual(check({}), []);
  });

  it('refuses a tag or digest in spec.image, pointing at spec.tag', () => {
    const refusal = { field: '/spec/image', message: 'give the repository only; the tag goes in spec.tag' };
    assert.deepEqual(check({ image: 'registry.example.com/team/app:1.0' }), [refusal]);
    assert.deepEqual(check({ image: `registry.example.com/team/app@sha256:${'a'.repeat(64)}` }), [refusal]);
  });

  it('reports an image that is no reference at /spec/image, with the reason', () => {
    assert.deepEqual(check({ image: 'registry.example.com/Team/App' }), [
      {
        field: '/spec/image',
        message: 'image reference "registry.example.com/Team/App": "Team/App" is not a valid repository path',
      },
    ]);
  });

  it('refuses a spec with neither a context nor an inline Dockerfile, at /spec', () => {
    assert.deepEqual(check({ context: undefined }), [
      { field: '/spec', message: 'give spec.context (a folder with a Dockerfile) or spec.inline' },
    ]);
    assert.deepEqual(check({ context: undefined, inline: 'FROM busybox\n' }), []);
  });

  it('refuses spec.dockerfile next to spec.inline, at /spec/dockerfile', () => {
    assert.deepEqual(check({ context: undefined, inline: 'FROM busybox\n', dockerfile: 'Containerfile' }), [
      { field: '/spec/dockerfile', message: 'spec.dockerfile and spec.inline exclude each other' },
    ]);
    assert.deepEqual(check({ dockerfile: 'Containerfile' }), []);
  });

  it('refuses a registry listed twice at the second entry, hosts compared as registries', () => {
    const registries = [
      { host: 'docker.io' },
      { host: 'registry.example.com' },
      { host: 'https://Index.Docker.io' },
    ];
    assert.deepEqual(check({ registries }), [
      { field: '/spec/registries/2/host', message: 'docker.io is listed twice' },
    ]);
    assert.deepEqual(check({ registries: registries.slice(0, 2) }), []);
  });
});
