/**
 * TypeScript types generated from the schemas (schemas/*.json stay ajv's input and the one source of truth):
 * the manifests' specs, and the reconciler's environment (settings.schema.json). Each schema's `description`s become doc comments; a sub-schema with a `title` becomes a named,
 * exported type (`ImageSyncSpec`, `RegistrySettings` ...). Used by scripts/generate-types.ts, which writes the
 * files, and by the unit test that fails when one is stale.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { formatWithBiome } from './biome-format.js';

export interface SpecTypeTarget {
  /** File name under schemas/. */
  schema: string;
  /** Name of the type of the whole document (the schema's own title is written for people). */
  rootName: string;
  /** Where the generated module goes, from the repository root: next to the code that uses it. */
  output: string;
  /**
   * The type of the variables as src/config/settings-schema.ts reads them: only the schema's (the environment
   * holds others), and those with a `default` never missing (it fills the default in; GIT_URL may be).
   */
  asRead?: boolean;
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
  {
    schema: 'settings.schema.json',
    rootName: 'SettingsEnvironment',
    output: 'src/config/settings-env.generated.ts',
    asRead: true,
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

/** The root's properties as read: those with a default always there, no others. */
function asRead(schema: JSONSchema): JSONSchema {
  const properties = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const defaulted = Object.keys(properties).filter((name) => properties[name]?.default !== undefined);
  return { ...schema, required: defaulted, additionalProperties: false };
}

export async function generateSpecTypes(root: string, target: SpecTypeTarget): Promise<GeneratedFile> {
  const text = await readFile(join(root, 'schemas', target.schema), 'utf8');
  const parsed = withDefaultsDocumented(JSON.parse(text)) as JSONSchema;
  const schema = target.asRead ? asRead(parsed) : parsed;
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
