import type { Problem } from '../core/errors.js';
import { findKind, supportedKinds } from '../kinds/registry.js';
import { isManifestFile, type ParsedDocument, parseManifestFile } from './parse.js';
import { SchemaValidator } from './schema-validator.js';
import type { InvalidManifest, LoadedManifests, Manifest, ManifestOrigin, SourceFile } from './types.js';

export function manifestKey(kind: string, name: string, namespace?: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

interface Identity {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}

function readIdentity(value: Record<string, unknown>): Identity {
  const metadata = (value.metadata ?? {}) as Record<string, unknown>;
  return {
    apiVersion: typeof value.apiVersion === 'string' ? value.apiVersion : '',
    kind: typeof value.kind === 'string' ? value.kind : '',
    name: typeof metadata.name === 'string' ? metadata.name : undefined,
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
  };
}

/**
 * From the repo's files to validated manifests in their canonical kind. Pure apart from reading schemas:
 * every problem is located (file, line, column, field) and nothing stops the other documents.
 */
export function loadManifests(
  files: readonly SourceFile[],
  validator = new SchemaValidator(),
): LoadedManifests {
  const manifests: Manifest[] = [];
  const invalid: InvalidManifest[] = [];
  const fileProblems: Problem[] = [];
  const firstSeen = new Map<string, ManifestOrigin>();

  const sorted = [...files]
    .filter((f) => isManifestFile(f.path))
    .sort((a, b) => a.path.localeCompare(b.path));
  for (const file of sorted) {
    const parsed = parseManifestFile(file);
    fileProblems.push(...parsed.problems);
    for (const document of parsed.documents) {
      const result = loadDocument(document, validator);
      if ('problems' in result) {
        invalid.push(result);
        continue;
      }
      const earlier = firstSeen.get(result.key);
      if (earlier) {
        invalid.push({
          key: result.key,
          kind: result.kind,
          name: result.name,
          origin: result.origin,
          problems: [
            {
              code: 'DUPLICATE_MANIFEST',
              message: `${result.key} is already defined at ${earlier.file}:${earlier.line}; names must be unique per kind`,
              location: document.locate(['metadata', 'name']),
            },
          ],
        });
        continue;
      }
      firstSeen.set(result.key, result.origin);
      manifests.push(result);
    }
  }
  return { manifests, invalid, fileProblems };
}

function loadDocument(document: ParsedDocument, validator: SchemaValidator): Manifest | InvalidManifest {
  const baseOrigin: ManifestOrigin = { file: document.file, line: document.line, apiVersion: '', kind: '' };
  if (!document.value || typeof document.value !== 'object' || Array.isArray(document.value)) {
    return {
      origin: baseOrigin,
      problems: [
        {
          code: 'NOT_AN_OBJECT',
          message: 'a manifest must be a mapping with apiVersion, kind, metadata and spec',
          location: document.locate([]),
        },
      ],
    };
  }
  const value = document.value as Record<string, unknown>;
  const id = readIdentity(value);
  const origin: ManifestOrigin = { ...baseOrigin, apiVersion: id.apiVersion, kind: id.kind };
  const match = findKind(id.apiVersion, id.kind);
  if (!match) {
    // Point at what is wrong: an apiVersion nothing uses, or else the kind.
    const knownApiVersion =
      id.apiVersion !== '' && supportedKinds().some((s) => s.startsWith(`${id.apiVersion} `));
    const field = knownApiVersion ? ['kind'] : ['apiVersion'];
    return {
      kind: id.kind || undefined,
      name: id.name,
      origin,
      problems: [
        {
          code: 'UNKNOWN_KIND',
          message: `unknown apiVersion/kind "${id.apiVersion} ${id.kind}"; supported: ${supportedKinds().join(', ')}`,
          location: document.locate(field),
        },
      ],
    };
  }
  const { definition, alias } = match;
  const key = id.name ? manifestKey(definition.kind, id.name, id.namespace) : undefined;
  const identified = { key, kind: definition.kind, name: id.name, origin };

  const schemaErrors = validator.validate(alias ? alias.schemaFile : definition.schemaFile, value);
  if (schemaErrors.length > 0) {
    return {
      ...identified,
      problems: schemaErrors.map((e) => ({
        code: 'SCHEMA' as const,
        message: e.message,
        location: document.locate(e.path),
      })),
    };
  }
  const spec = alias ? alias.convert(value) : value.spec;
  if (alias) {
    // The converted spec must satisfy our own schema too: a conversion bug is caught here, not in the cluster.
    const converted = {
      apiVersion: definition.apiVersion,
      kind: definition.kind,
      metadata: value.metadata,
      spec,
    };
    const errors = validator.validate(definition.schemaFile, converted);
    if (errors.length > 0) {
      return {
        ...identified,
        problems: errors.map((e) => ({
          code: 'INVALID_SPEC' as const,
          message: `as ${definition.kind}: /${e.path.join('/')} ${e.message}`,
          location: document.locate([]),
        })),
      };
    }
  }
  const checks = definition.check?.(spec) ?? [];
  if (checks.length > 0) {
    return {
      ...identified,
      problems: checks.map((c) => ({
        code: 'INVALID_SPEC' as const,
        message: c.message,
        location: document.locate(
          c.field
            .split('/')
            .filter(Boolean)
            .map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
        ),
      })),
    };
  }
  return {
    key: key!,
    kind: definition.kind,
    name: id.name!,
    ...(id.namespace ? { namespace: id.namespace } : {}),
    spec,
    origin,
  };
}
