import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { Problem } from '../../../src/core/errors.js';
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

// `imagez` on line 6 is unknown and `images` is missing.
const BAD = GOOD.replace('name: tools', 'name: broken').replace('  images:', '  imagez:');

/** Runs the CLI in this process and returns its exit code and what it printed. */
async function run(args: string[]): Promise<{ code: number; stdout: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const code = await main(args);
    return { code, stdout: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('image-gitops validate', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('validate');
    mkdirSync(join(dir, 'prepull'));
    writeFileSync(join(dir, 'prepull/good.yaml'), GOOD);
    writeFileSync(join(dir, 'prepull/bad.yaml'), BAD);
  });
  afterEach(() => removeTempDir(dir));

  it('exits 1 and prints each problem at file:line:column with its field', async () => {
    const { code, stdout } = await run(['validate', dir]);
    assert.equal(code, 1);
    assert.match(stdout, /✔ ImagePrepull\/tools \(prepull\/good\.yaml:1\)/);
    assert.match(stdout, /✘ prepull\/bad\.yaml:6:3 \/spec\/imagez: unknown field "imagez".*\[SCHEMA\]/);
    assert.match(stdout, /✘ prepull\/bad\.yaml:\d+:\d+ \/spec\/images: required field is missing \[SCHEMA\]/);
    assert.match(stdout, /1 valid, 1 invalid manifest\(s\), 0 file problem\(s\)/);
  });

  it('prints JSON with --output json', async () => {
    const { code, stdout } = await run(['validate', dir, '--output', 'json']);
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as {
      valid: boolean;
      manifests: { key: string; file: string; line: number }[];
      problems: Problem[];
    };
    assert.equal(report.valid, false);
    assert.deepEqual(report.manifests, [{ key: 'ImagePrepull/tools', file: 'prepull/good.yaml', line: 1 }]);
    const unknown = report.problems.find((p) => p.location?.field === '/spec/imagez');
    assert.deepEqual(unknown?.location, {
      file: 'prepull/bad.yaml',
      line: 6,
      column: 3,
      field: '/spec/imagez',
    });
    assert.equal(unknown?.code, 'SCHEMA');
  });

  it('counts a YAML syntax error as a file problem', async () => {
    writeFileSync(join(dir, 'prepull/bad.yaml'), 'apiVersion: [unclosed\n');
    const { code, stdout } = await run(['validate', dir]);
    assert.equal(code, 1);
    assert.match(stdout, /✘ prepull\/bad\.yaml:\d+:\d+: YAML syntax: .*\[YAML_PARSE\]/);
    assert.match(stdout, /1 valid, 0 invalid manifest\(s\), 1 file problem\(s\)/);
  });

  it('exits 0 when every manifest is valid', async () => {
    removeTempDir(dir);
    dir = makeTempDir('validate');
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    const { code, stdout } = await run(['validate', dir, '-o', 'json']);
    assert.equal(code, 0);
    assert.equal((JSON.parse(stdout) as { valid: boolean }).valid, true);
  });

  it('validates the sample repository', async () => {
    const { code, stdout } = await run(['validate', 'sample-repo']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /\b(\d+) valid, 0 invalid manifest\(s\), 0 file problem\(s\)/);
    for (const kind of ['ImageSync', 'ImageBuild', 'RegistryMirror', 'ImagePrepull'])
      assert.match(stdout, new RegExp(`✔ ${kind}/`));
  });
});
