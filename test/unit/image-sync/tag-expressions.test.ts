// Tag expressions from the config repo run on RE2 (linear time), and what the engine cannot run is refused at
// validation, with file, line and field; registry hosts with characters a host cannot have are refused too.
// `validate` and the sync load manifests through the same loadManifests, and the CLI is run here as well.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTagExpression, selectTags } from '../../../src/kinds/image-sync/tags.js';
import { loadManifests } from '../../../src/kinds/registry.js';
import { parseImageReference } from '../../../src/registry/references.js';
import { cliCommand, runCommand } from '../../support/processes.js';
import { makeTempDir } from '../../support/tmp.js';

function imageSync(name: string, extra: string[], source = 'quay.io/team/app'): string {
  return [
    'apiVersion: image-gitops.io/v1alpha1', // 1
    'kind: ImageSync', // 2
    'metadata:', // 3
    `  name: ${name}`, // 4
    'spec:', // 5
    '  source:', // 6
    `    image: ${JSON.stringify(source)}`, // 7
    '  destination:', // 8
    '    image: registry.example.com/mirror/app', // 9
    ...extra, // 10...
    '',
  ].join('\n');
}

const HOSTILE: Record<string, string> = {
  'catastrophic.yaml': imageSync('catastrophic', ['  tags:', '    include: ["^(a+)+$"]']),
  'backreference.yaml': imageSync('backreference', [
    '  tags:',
    '    include: ["^v1"]',
    '    exclude: ["(a)\\\\1"]',
  ]),
  'lookahead.yaml': imageSync('lookahead', ['  tags:', '    include: ["^(?=v)"]']),
  'semicolon-host.yaml': imageSync('semicolon-host', [
    '  registries:',
    '    - host: "registry.example.com;reboot"',
  ]),
  'backtick-image.yaml': imageSync('backtick-image', [], 'reg`id`.example.com/team/app'),
  'space-image.yaml': imageSync('space-image', [], 'reg istry.example.com/team/app'),
  'newline-host.yaml': imageSync('newline-host', ['  registries:', '    - host: "evil.example.com\\nx"']),
};

describe('tag expressions run on RE2', () => {
  it('runs ^(a+)+$ on a 32-character tag to its answer (it took 88 s on the backtracking engine)', () => {
    const tags = [`${'a'.repeat(31)}b`, 'a'.repeat(32), `${'a'.repeat(40)}!`];
    assert.deepEqual(selectTags(tags, { include: ['^(a+)+$'] }), ['a'.repeat(32)]);
    assert.deepEqual(selectTags(tags, { exclude: ['^(a|aa)+$'] }).sort(), [tags[0], tags[2]].sort());
  });

  it('keeps the usual expressions meaning what they meant', () => {
    const tags = ['22-alpine', '22.1-alpine', '22', 'v1.2.3', 'V1.2.4'];
    assert.deepEqual(selectTags(tags, { include: ['^22.*-alpine$'], exclude: ['^22\\.1'] }), ['22-alpine']);
    assert.deepEqual(selectTags(tags, { include: ['(?i)^v1\\.\\d+\\.\\d+$'] }), ['V1.2.4', 'v1.2.3']);
    assert.equal(compileTagExpression('[0-9]+')('abc'), false);
  });

  it('refuses what RE2 cannot run, saying why', () => {
    assert.throws(
      () => compileTagExpression('(a)\\1'),
      /invalid escape sequence.*no backreferences or lookarounds/,
    );
    assert.throws(() => compileTagExpression('x'.repeat(1001)), /longer than 1000 characters/);
  });
});

describe('validation refuses hostile expressions and hosts, with file, line and field', () => {
  const loaded = loadManifests(Object.entries(HOSTILE).map(([path, content]) => ({ path, content })));
  const problemsOf = (file: string) =>
    loaded.invalid.filter((i) => i.origin.file === file).flatMap((i) => i.problems);

  it('loads the catastrophic pattern (RE2 runs it in linear time)', () => {
    assert.deepEqual(
      loaded.manifests.map((m) => m.origin.file),
      ['catastrophic.yaml'],
    );
  });

  it('refuses backreferences and lookarounds at their field', () => {
    const [back] = problemsOf('backreference.yaml');
    assert.equal(back?.location?.field, '/spec/tags/exclude/0');
    assert.equal(back?.location?.file, 'backreference.yaml');
    assert.equal(typeof back?.location?.line, 'number');
    assert.match(back?.message ?? '', /invalid regular expression: invalid escape sequence/);
    const [look] = problemsOf('lookahead.yaml');
    assert.equal(look?.location?.field, '/spec/tags/include/0');
  });

  it('refuses registry hosts with ;, backticks, spaces or newlines, in registries and in image references', () => {
    for (const file of ['semicolon-host.yaml', 'newline-host.yaml']) {
      const problems = problemsOf(file);
      assert.ok(problems.length > 0, file);
      assert.match(problems[0]?.location?.field ?? '', /^\/spec\/registries\/0\/host$/, file);
    }
    for (const file of ['backtick-image.yaml', 'space-image.yaml']) {
      const problems = problemsOf(file);
      assert.ok(problems.length > 0, file);
      assert.match(problems[0]?.message ?? '', /not a (registry host|valid repository path)/, file);
    }
    assert.throws(
      () => parseImageReference('evil.io;id/team/app:v1'),
      /"evil\.io;id" is not a registry host/,
    );
    assert.throws(
      () => parseImageReference('evil.io\n/team/app'),
      /image reference "evil\.io\\n\/team\/app"/,
    );
    assert.equal(parseImageReference('[::1]:5000/team/app').registry, '[::1]:5000');
  });

  it('`image-gitops validate` refuses exactly these files', async function () {
    this.timeout(60_000);
    const dir = join(makeTempDir('validate-hostile'), 'repo');
    mkdirSync(dir, { recursive: true });
    for (const [file, content] of Object.entries(HOSTILE)) writeFileSync(join(dir, file), content);
    const env = { ...process.env, LOG_LEVEL: 'error' };
    const output = await runCommand(...cliCommand('validate', dir, '--output', 'json'), { env }).then(
      (r) => ({ code: 0, text: r.stdout }),
      (error: Error) => ({ code: 1, text: error.message }),
    );
    assert.notEqual(output.code, 0, 'validate fails');
    const refused = Object.keys(HOSTILE).filter((file) => file !== 'catastrophic.yaml');
    for (const file of refused) assert.ok(output.text.includes(file), `${file} is named: ${output.text}`);
    assert.ok(
      refused.every((file) => problemsOf(file).length > 0) && problemsOf('catastrophic.yaml').length === 0,
      'the sync refuses the same files',
    );
  });
});
