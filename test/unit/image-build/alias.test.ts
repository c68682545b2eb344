import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { convertImageOperatorImageBuilder } from '../../../src/kinds/image-build/alias-image-operator.js';
import { checkImageBuild } from '../../../src/kinds/image-build/check.js';
import { imageBuildKind } from '../../../src/kinds/image-build/index.js';
import { renderImageBuild } from '../../../src/kinds/image-build/render.js';
import { findKind } from '../../../src/kinds/registry.js';
import { buildManifest, buildScript, only, renderContext } from './fixtures.js';

function validator(file: string) {
  return new Ajv({ allErrors: true, strict: false }).compile(
    JSON.parse(readFileSync(`schemas/${file}`, 'utf8')),
  );
}

function yamlDocuments(path: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
}

const imageBuilder = yamlDocuments('sample-repo/image-build/image-operator-imagebuilder.yaml')[0] as Record<
  string,
  unknown
>;

describe('image-operator ImageBuilder alias', () => {
  it('is registered for buildah.io/v1alpha1 ImageBuilder', () => {
    const match = findKind('buildah.io/v1alpha1', 'ImageBuilder');
    assert.equal(match?.definition, imageBuildKind);
    assert.equal(match?.alias?.schemaFile, 'buildah.io-imagebuilder.schema.json');
  });

  it("accepts image-operator's documented example as written", () => {
    const validate = validator('buildah.io-imagebuilder.schema.json');
    assert.ok(validate(imageBuilder), JSON.stringify(validate.errors));
  });

  it('rejects an unknown architecture', () => {
    const validate = validator('buildah.io-imagebuilder.schema.json');
    const spec = { ...(imageBuilder.spec as object), architecture: 'riscv64' };
    assert.equal(validate({ ...imageBuilder, spec }), false);
  });

  it('converts to an inline, two-architecture ImageBuild tagged with image.version', () => {
    const spec = convertImageOperatorImageBuilder(imageBuilder);
    assert.deepEqual(spec, {
      image: 'registry.example.com/destination/node',
      tag: '22-updated',
      inline: 'FROM node:22\nRUN apt update -y && apt upgrade -y\n',
      architectures: ['amd64', 'arm64'],
      resources: { limits: { cpu: '1000m', memory: '2Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
    });
    assert.deepEqual(checkImageBuild(spec), []);
    const script = buildScript(only(renderImageBuild(buildManifest(spec), renderContext()), 'Job'));
    assert.match(script, /--platform=linux\/amd64,linux\/arm64/);
    assert.match(script, /docker:\/\/registry.example.com\/destination\/node:22-updated/);
  });

  it('reads architecture arm64 as one architecture', () => {
    const spec = { ...(imageBuilder.spec as object), architecture: 'arm64' };
    assert.deepEqual(convertImageOperatorImageBuilder({ ...imageBuilder, spec }).architectures, ['arm64']);
  });
});

describe('ImageBuild schema and checks', () => {
  it('accepts the sample manifests, which render', () => {
    const validate = validator('image-build.schema.json');
    for (const document of yamlDocuments('sample-repo/image-build/app.yaml')) {
      assert.ok(validate(document), JSON.stringify(validate.errors));
      const spec = document.spec as Parameters<typeof checkImageBuild>[0];
      assert.deepEqual(checkImageBuild(spec), []);
      const files = new Map(
        ['Dockerfile', 'greeting.txt'].map((f) => [
          `image-build/app/${f}`,
          readFileSync(`sample-repo/image-build/app/${f}`, 'utf8'),
        ]),
      );
      const objects = renderImageBuild(buildManifest(spec), renderContext({ files }));
      assert.ok(only(objects, 'Job'));
    }
  });

  it('rejects a tag template with an unknown placeholder', () => {
    const validate = validator('image-build.schema.json');
    const document = {
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImageBuild',
      metadata: { name: 'x' },
      spec: { image: 'r.io/a/b', tag: '{{branch}}' },
    };
    assert.equal(validate(document), false);
  });

  it('reports a tag in spec.image, a bad schedule and a Dockerfile given twice', () => {
    const problems = checkImageBuild({
      image: 'r.io/a/b:v1',
      schedule: 'sometimes',
      inline: 'FROM x',
      dockerfile: 'D',
    });
    assert.deepEqual(
      problems.map((p) => p.field),
      ['/spec/image', '/spec/dockerfile', '/spec/schedule'],
    );
  });
});
