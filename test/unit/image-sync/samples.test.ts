import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { imageSyncKind } from '../../../src/kinds/image-sync/index.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { SAMPLE_COSIGN_PUBLIC_KEY_SECRET } from '../../support/sample-repo.js';

const SAMPLES = 'sample-repo/image-sync';

function validator(schemaFile: string) {
  const schema = JSON.parse(readFileSync(join('schemas', schemaFile), 'utf8')) as object;
  return new Ajv({ allErrors: true, strict: true }).compile(schema);
}

describe('ImageSync sample manifests', () => {
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.yaml'));

  it('has one sample per mode, a OneShot with verify, and one image-operator Image', () => {
    const docs = files.map(
      (f) =>
        parse(readFileSync(join(SAMPLES, f), 'utf8')) as {
          kind: string;
          metadata: { name: string };
          spec: { mode?: string; verify?: ImageSyncSpec['verify'] };
        },
    );
    assert.deepEqual(
      docs
        .filter((d) => d.kind === 'ImageSync')
        .map((d) => d.spec.mode)
        .sort(),
      ['OnceByTag', 'OneShot', 'OneShot', 'Recurrent'],
    );
    assert.equal(docs.filter((d) => d.kind === 'Image').length, 1);
    // signed.yaml, the live example of `verify`: the sample syncs (test/integration/rbac-sync.test.ts) name
    // the Secret the test fixtures create with a public key made at test time.
    const verifying = docs.filter((d) => d.spec.verify);
    assert.deepEqual(
      verifying.map((d) => [d.metadata.name, d.spec.mode, d.spec.verify?.publicKey.secret]),
      [['platform-api-1-4-2', 'OneShot', SAMPLE_COSIGN_PUBLIC_KEY_SECRET]],
    );
  });

  for (const file of files) {
    it(`${file} is valid against its schema and passes the kind's checks`, () => {
      const doc = parse(readFileSync(join(SAMPLES, file), 'utf8')) as Record<string, unknown>;
      const alias = imageSyncKind.aliases?.find(
        (a) => a.apiVersion === doc.apiVersion && a.kind === doc.kind,
      );
      const validate = validator(alias?.schemaFile ?? imageSyncKind.schemaFile);
      assert.ok(validate(doc), JSON.stringify(validate.errors));
      const spec = alias ? alias.convert(doc) : (doc.spec as ImageSyncSpec);
      assert.ok(
        validator(imageSyncKind.schemaFile)({
          ...doc,
          apiVersion: imageSyncKind.apiVersion,
          kind: 'ImageSync',
          spec,
        }),
      );
      assert.deepEqual(imageSyncKind.check?.(spec), []);
    });
  }
});
