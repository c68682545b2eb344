// What the rendered build pushes and records: the destination tag, the image labels, the target stage and
// the authfile flags, read from the Job's annotations and its build script.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { BUILD_ANNOTATIONS, renderImageBuild } from '../../../src/kinds/image-build/render.js';
import type { ImageBuildSpec } from '../../../src/kinds/image-build/types.js';
import { buildManifest, buildScript, only, renderContext } from './fixtures.js';

// Distinct characters, so that a 12-character prefix is told apart from the whole commit.
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

function job(spec: Partial<ImageBuildSpec> = {}, observed = {}): KubeObject {
  return only(renderImageBuild(buildManifest(spec), renderContext({ commit: COMMIT, observed })), 'Job');
}

function pushed(spec: Partial<ImageBuildSpec> = {}): string | undefined {
  return job(spec).metadata.annotations?.[BUILD_ANNOTATIONS.image];
}

/** The values given to one `buildah bud` flag, in order. */
function flagValues(script: string, flag: string): string[] {
  const bud = script.split('\n').find((line) => line.startsWith('buildah --storage-driver=vfs bud '));
  const words = bud?.split(' ') ?? [];
  return words.flatMap((word, i) => (words[i - 1] === flag ? [word] : []));
}

describe('ImageBuild build plan', () => {
  it('pushes to the commit tag by default and records the commit and the destination', () => {
    const built = job();
    assert.deepEqual(built.metadata.annotations, {
      [BUILD_ANNOTATIONS.commit]: COMMIT,
      [BUILD_ANNOTATIONS.image]: `registry.example.com/team/app:${COMMIT}`,
    });
    assert.match(buildScript(built), new RegExp(` docker://registry.example.com/team/app:${COMMIT}\n`));
  });

  it('fills {{shortCommit}} with the first 12 characters and {{commit}} with all of them', () => {
    assert.equal(pushed({ tag: 'v1-{{shortCommit}}' }), 'registry.example.com/team/app:v1-0123456789ab');
    assert.equal(
      pushed({ tag: '{{shortCommit}}-{{commit}}' }),
      `registry.example.com/team/app:0123456789ab-${COMMIT}`,
    );
  });

  it('labels the image with the spec labels and the revision', () => {
    assert.deepEqual(flagValues(buildScript(job({ labels: { team: 'blue' } })), '--label'), [
      `org.opencontainers.image.revision=${COMMIT}`,
      'team=blue',
    ]);
  });

  it('adds the source label only when spec.sourceUrl is given', () => {
    assert.deepEqual(flagValues(buildScript(job({ sourceUrl: 'https://git.example.com/app' })), '--label'), [
      `org.opencontainers.image.revision=${COMMIT}`,
      'org.opencontainers.image.source=https://git.example.com/app',
    ]);
    assert.deepEqual(flagValues(buildScript(job()), '--label'), [
      `org.opencontainers.image.revision=${COMMIT}`,
    ]);
  });

  it('builds the target stage only when spec.target is given', () => {
    assert.match(buildScript(job({ target: 'runtime' })), / --target=runtime /);
    assert.doesNotMatch(buildScript(job()), /--target/);
  });

  it('passes --authfile to bud and push with credentials, and not without', () => {
    const script = buildScript(
      job({}, { authFile: { auths: { 'registry.example.com': { auth: 'dTpw' } } } }),
    );
    assert.equal(script.match(/--authfile "\$\{REGISTRY_AUTH_FILE\}"/g)?.length, 2);
    assert.doesNotMatch(buildScript(job()), /--authfile/);
  });
});
