import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  generateAllSpecTypes,
  SPEC_TYPE_TARGETS,
  withDefaultsDocumented,
} from '../../../scripts/spec-types.js';
import type { ImageOperatorSpec } from '../../../src/kinds/image-sync/alias-image-operator.js';
import type { ImageOperatorImage } from '../../../src/kinds/image-sync/image-operator.generated.js';
import type { MirrorOperatorRegistryMirror } from '../../../src/kinds/registry-mirror/mirror-operator.generated.js';
import type { MirrorOperatorSpec } from '../../../src/kinds/registry-mirror/mirror-operator.js';

const root = join(import.meta.dirname, '../../..');

// Types still written by hand outside the kinds' spec modules must equal the generated ones: `tsc` (run by
// scripts/test.sh) fails on the first that drifts from its schema. The calls do nothing when run.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function sameType<A, B>(..._proof: Same<A, B> extends true ? [] : [never]): void {}
sameType<ImageOperatorSpec, ImageOperatorImage['spec']>();
sameType<MirrorOperatorSpec, MirrorOperatorRegistryMirror['spec']>();

describe('spec types generated from the schemas', () => {
  it('generates a module for every schema', async () => {
    const schemas = (await readdir(join(root, 'schemas'))).filter((f) => f.endsWith('.schema.json'));
    assert.deepEqual(SPEC_TYPE_TARGETS.map((t) => t.schema).sort(), schemas.sort());
  });

  it('has every generated module as its schema makes it now (else: npm run generate:types)', async () => {
    for (const file of await generateAllSpecTypes(root)) {
      const written = await readFile(join(root, file.path), 'utf8');
      assert.equal(written, file.text, `${file.path} is stale: run npm run generate:types`);
    }
  });

  it("writes each default into its field's doc comment, and leaves a property called default alone", () => {
    const schema = {
      properties: {
        tlsVerify: { type: 'boolean', default: true, description: 'Verify TLS' },
        default: { type: 'string' },
      },
    };
    assert.deepEqual(withDefaultsDocumented(schema), {
      properties: {
        tlsVerify: { type: 'boolean', default: true, description: 'Verify TLS\n\n@default true' },
        default: { type: 'string' },
      },
    });
  });
});
