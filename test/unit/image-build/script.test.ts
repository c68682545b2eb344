import assert from 'node:assert/strict';
import {
  type BuildPlan,
  buildahCommands,
  buildahScript,
  LOCAL_IMAGE,
  unpackScript,
} from '../../../src/kinds/image-build/script.js';

const plan: BuildPlan = {
  destination: 'registry.example.com/team/app:v1',
  dockerfile: 'context/Dockerfile',
  contextDir: 'context',
  architectures: ['amd64'],
  buildArgs: { B: 'two words', A: "it's" },
  target: 'runtime',
  labels: { 'org.opencontainers.image.revision': 'abc' },
  tlsVerify: true,
  withAuthFile: false,
};

describe('buildah script', () => {
  it('builds one architecture with chroot isolation and vfs, then pushes the image with its digest', () => {
    const [bud, push] = buildahCommands(plan);
    assert.deepEqual(bud?.slice(0, 6), [
      'buildah',
      '--storage-driver=vfs',
      'bud',
      '--isolation=chroot',
      '--format=oci',
      '--platform=linux/amd64',
    ]);
    assert.ok(bud?.includes('--tag'));
    assert.deepEqual(push?.slice(0, 3), ['buildah', '--storage-driver=vfs', 'push']);
    assert.equal(push?.at(-1), 'docker://registry.example.com/team/app:v1');
    assert.equal(push?.at(-2), LOCAL_IMAGE);
  });

  it('builds two architectures into a manifest list and pushes the whole index', () => {
    const script = buildahScript({ ...plan, architectures: ['amd64', 'arm64'] });
    assert.match(script, /--platform=linux\/amd64,linux\/arm64/);
    assert.match(script, new RegExp(`--manifest ${LOCAL_IMAGE}`));
    assert.match(
      script,
      /buildah --storage-driver=vfs manifest push --all --format=oci --digestfile "\$\{DIGEST_FILE\}"/,
    );
    assert.match(script, /test -s "\$\{DIGEST_FILE\}"/);
  });

  it('passes build args (sorted, quoted), target, revision label and annotation', () => {
    const script = buildahScript(plan);
    assert.match(script, /--build-arg 'A=it'\\''s' --build-arg 'B=two words' --target=runtime/);
    assert.match(
      script,
      /--label org.opencontainers.image.revision=abc --annotation org.opencontainers.image.revision=abc/,
    );
  });

  it('unpacks the archive into the workspace', () => {
    const lines = unpackScript().split('\n');
    assert.equal(lines[0], 'set -eu');
    assert.match(lines[1] ?? '', /^mkdir -p "\$\{WORKSPACE\}"\/context$/);
    assert.match(lines[2] ?? '', /^tar -x -f "\$\{CONTEXT_ARCHIVE\}" -C "\$\{WORKSPACE\}"$/);
  });
});
