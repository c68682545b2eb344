/**
 * TypeScript types generated from the manifest schemas (schemas/*.json stay ajv's input and the one source of
 * truth). Each schema's `description`s become doc comments; a sub-schema with a `title` becomes a named,
 * exported type (`ImageSyncSpec`, `RegistrySettings` ...). Used by scripts/generate-types.ts, which writes the
 * files, and by the unit test that fails when one is stale.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

export interface SpecTypeTarget {
  /** File name under schemas/. */
  schema: string;
  /** Name of the type of the whole document (the schema's own title is written for people). */
  rootName: string;
  /** Where the generated module goes, from the repository root: next to the kind that uses it. */
  output: string;
}

export const SPEC_TYPE_TARGETS: readonly SpecTypeTarget[] = [
  {
    schema: 'image-sync.schema.json',
    rootName: 'ImageSyncManifest',
    output: 'src/kinds/image-sync/spec.generated.ts',
  },
  {
    schema: 'skopeo.io-image.schema.json',
    rootName: 'ImageOperatorImage',
    output: 'src/kinds/image-sync/image-operator.generated.ts',
  },
  {
    schema: 'image-build.schema.json',
    rootName: 'ImageBuildManifest',
    output: 'src/kinds/image-build/spec.generated.ts',
  },
  {
    schema: 'buildah.io-imagebuilder.schema.json',
    rootName: 'ImageOperatorImageBuilder',
    output: 'src/kinds/image-build/image-operator.generated.ts',
  },
  {
    schema: 'image-backup.schema.json',
    rootName: 'ImageBackupManifest',
    output: 'src/kinds/image-backup/spec.generated.ts',
  },
  {
    schema: 'image-prepull.schema.json',
    rootName: 'ImagePrepullManifest',
    output: 'src/kinds/image-prepull/spec.generated.ts',
  },
  {
    schema: 'image-gitops.io-kubernetesimagepuller.schema.json',
    rootName: 'KubernetesImagePuller',
    output: 'src/kinds/image-prepull/kubernetes-image-puller.generated.ts',
  },
  {
    schema: 'registry-mirror.schema.json',
    rootName: 'RegistryMirrorManifest',
    output: 'src/kinds/registry-mirror/spec.generated.ts',
  },
  {
    schema: 'k8s.osp.tech-registrymirror.schema.json',
    rootName: 'MirrorOperatorRegistryMirror',
    output: 'src/kinds/registry-mirror/mirror-operator.generated.ts',
  },
];

export interface GeneratedFile {
  /** From the repository root. */
  path: string;
  text: string;
}

function banner(schema: string): string {
  return [
    `// Generated from schemas/${schema} by scripts/generate-types.ts: do not edit.`,
    '// Change the schema, then run `npm run generate:types`.',
  ].join('\n');
}

/** Keywords whose value maps names to sub-schemas (a property may be called `default`). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions']);

/** The schema with each `default` also written into its description, as `@default`, for the doc comment. */
export function withDefaultsDocumented(schema: unknown, isMap = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withDefaultsDocumented(item));
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema))
    copy[key] =
      isMap || key !== 'default' ? withDefaultsDocumented(value, !isMap && SCHEMA_MAPS.has(key)) : value;
  if (!isMap && 'default' in copy) {
    const tag = `@default ${JSON.stringify(copy.default)}`;
    copy.description = typeof copy.description === 'string' ? `${copy.description}\n\n${tag}` : tag;
  }
  return copy;
}

/** Biome formats the output, so that the generated files pass `biome check` like every other file. */
function formatWithBiome(root: string, path: string, text: string): string {
  return execFileSync(join(root, 'node_modules/.bin/biome'), ['format', `--stdin-file-path=${path}`], {
    cwd: root,
    input: text,
    encoding: 'utf8',
  });
}

export async function generateSpecTypes(root: string, target: SpecTypeTarget): Promise<GeneratedFile> {
  const text = await readFile(join(root, 'schemas', target.schema), 'utf8');
  const schema = withDefaultsDocumented(JSON.parse(text)) as JSONSchema;
  const code = await compile({ ...schema, title: target.rootName }, target.rootName, {
    bannerComment: banner(target.schema),
    cwd: join(root, 'schemas'),
    format: false,
    // Plain arrays: minItems/maxItems stay the schema's to check (a tuple type per bound helps no caller).
    ignoreMinAndMaxItems: true,
    unknownAny: true,
  });
  return { path: target.output, text: formatWithBiome(root, target.output, code) };
}

/** Every generated module, as the schemas under `root` give them now. */
export async function generateAllSpecTypes(root: string): Promise<GeneratedFile[]> {
  return Promise.all(SPEC_TYPE_TARGETS.map((target) => generateSpecTypes(root, target)));
}
