// `image-gitops validate` on a repo with CI files, a submodule, a bad schedule and a context leaving the repo:
// it lists what it ignores, and refuses exactly what a sync would refuse.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';

const GOOD = `apiVersion: image-gitops.io/v1alpha1
kind: ImagePrepull
metadata:
  name: tools
spec:
  images:
    - name: busybox
      image: busybox:1.36
`;

async function run(args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await main(args), stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('image-gitops validate: ignored files and what a sync refuses', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('validate-rules');
    writeFileSync(join(dir, 'tools.yaml'), GOOD);
    mkdirSync(join(dir, '.github/workflows'), { recursive: true });
    writeFileSync(join(dir, '.github/workflows/ci.yaml'), 'on: [push]\njobs: {}\n');
    writeFileSync(join(dir, '.gitlab-ci.yml'), 'validate:\n  script: [true]\n');
    mkdirSync(join(dir, 'vendor'));
    writeFileSync(join(dir, 'vendor/.git'), 'gitdir: ../.git/modules/vendor\n');
    writeFileSync(join(dir, 'vendor/other.yaml'), GOOD.replace('tools', 'other'));
  });
  afterEach(() => removeTempDir(dir));

  it('passes with CI files and a submodule, and lists them as ignored', async () => {
    const { code, stdout } = await run(['validate', dir]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /- ignored \.github\/workflows\/ci\.yaml: not an image-gitops manifest/);
    assert.match(stdout, /- ignored \.gitlab-ci\.yml: not an image-gitops manifest/);
    assert.match(stdout, /- ignored vendor: git submodule/);
    assert.match(stdout, /1 valid, 0 invalid manifest\(s\), 0 file problem\(s\), 3 ignored/);
    const json = JSON.parse((await run(['validate', dir, '--output', 'json'])).stdout);
    assert.equal(json.ignored.length, 3);
  });

  it('refuses a manifest that is another once the namespace is filled in, as the sync does', async () => {
    writeFileSync(join(dir, 'z.yaml'), GOOD.replace('  name: tools\n', '  name: tools\n  namespace: ops\n'));
    const { code, stdout } = await run(['validate', dir, '--namespace', 'ops']);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /✘ z\.yaml:5:\d+ \/metadata\/namespace: ImagePrepull\/ops\/tools is ImagePrepull\/tools at tools\.yaml:1 once the namespace is filled in/,
    );
    assert.equal((await run(['validate', dir, '--namespace', 'elsewhere'])).code, 0);
  });

  it('refuses a cron schedule and a build context the sync would refuse', async () => {
    writeFileSync(
      join(dir, 'sync.yaml'),
      'apiVersion: image-gitops.io/v1alpha1\nkind: ImageSync\nmetadata:\n  name: s\nspec:\n  source: { image: nginx, tag: "1" }\n  destination: { image: r.example.com/nginx }\n  schedule: "99 99 99 99 99"\n',
    );
    writeFileSync(
      join(dir, 'build.yaml'),
      'apiVersion: image-gitops.io/v1alpha1\nkind: ImageBuild\nmetadata:\n  name: b\nspec:\n  image: r.example.com/b\n  context: { path: ../../ }\n',
    );
    const { code, stdout } = await run(['validate', dir]);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /✘ sync\.yaml:8:\d+ \/spec\/schedule: "99 99 99 99 99" is not a valid cron schedule/,
    );
    assert.match(
      stdout,
      /✘ build\.yaml:7:\d+ \/spec\/context\/path: context path "\.\.\/\.\.\/" leaves the repo/,
    );
  });

  it("refuses a cron field out of range in an ImageBuild's schedule too, at its line and field", async () => {
    writeFileSync(
      join(dir, 'build.yaml'),
      'apiVersion: image-gitops.io/v1alpha1\nkind: ImageBuild\nmetadata:\n  name: b\nspec:\n  image: r.example.com/b\n  inline: FROM busybox\n  schedule: "99 99 99 99 99"\n',
    );
    const { code, stdout } = await run(['validate', dir]);
    assert.equal(code, 1);
    assert.match(
      stdout,
      /✘ build\.yaml:8:\d+ \/spec\/schedule: "99 99 99 99 99" is not a valid cron schedule: end of range \(99\) above maximum \(59\): 99 \(minute\)/,
    );
  });

  it('reads schedules in the one duration grammar: weeks with days, hours with minutes', async () => {
    const sync = (name: string, schedule: string) =>
      `apiVersion: image-gitops.io/v1alpha1\nkind: ImageSync\nmetadata:\n  name: ${name}\nspec:\n  source: { image: nginx, tag: "1" }\n  destination: { image: r.example.com/nginx }\n  schedule: ${schedule}\n`;
    writeFileSync(join(dir, 'weekly.yaml'), sync('weekly', '1w2d'));
    writeFileSync(join(dir, 'hourly.yaml'), sync('hourly', '1h30m'));
    writeFileSync(
      join(dir, 'build.yaml'),
      'apiVersion: image-gitops.io/v1alpha1\nkind: ImageBuild\nmetadata:\n  name: b\nspec:\n  image: r.example.com/b\n  inline: FROM busybox\n  schedule: 1w\n',
    );
    const { code, stdout } = await run(['validate', dir]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /4 valid, 0 invalid/);
  });
});
