import { CarriedOver } from '../core/carried-over.js';
import type { Problem, SourceLocation } from '../core/errors.js';
import { isManifestFile, type ParsedDocument, parseManifestFile } from './parse.js';
import { SchemaValidator } from './schema-validator.js';
import type {
  IgnoredFile,
  InvalidManifest,
  LoadedManifests,
  Manifest,
  ManifestKind,
  ManifestOrigin,
  SourceFile,
} from './types.js';

/**
 * The file and the document of it each loaded manifest came from, to point at its fields after loading.
 * Not the parsed document itself: its YAML syntax tree (the positions) is ten times the manifest's size,
 * and kept for every manifest it was most of the heap at 10,000 manifests. A location is asked only for a
 * problem, so the file is parsed again then.
 */
const documents = new WeakMap<Manifest, { file: SourceFile; index: number }>();

function parsedDocumentOf(manifest: Manifest): ParsedDocument | undefined {
  const source = documents.get(manifest);
  return source ? parseManifestFile(source.file).documents[source.index] : undefined;
}

/** Where a field of a loaded manifest is written (file, line, column, field), or its document's start. */
export function manifestLocation(
  manifest: Manifest,
  path: readonly (string | number)[] = [],
): SourceLocation {
  const document = parsedDocumentOf(manifest);
  if (document) return document.locate(path);
  return { file: manifest.origin.file, line: manifest.origin.line };
}

/** The path of the first scalar of the document equal to `text` (or listing it, as `a;b` or `a,b` do). */
function findValue(
  value: unknown,
  text: string,
  path: (string | number)[] = [],
): (string | number)[] | undefined {
  if (typeof value === 'string') {
    if (value === text || value.split(/[;,\s]+/).includes(text)) return path;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findValue(value[i], text, [...path, i]);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'metadata' && path.length === 0) continue;
      const found = findValue(v, text, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Where the manifest names `text` (a Secret's name, say): that field, or the document's start. */
export function locateValueIn(manifest: Manifest, text: string): SourceLocation {
  const document = parsedDocumentOf(manifest);
  const path = document ? findValue(document.value, text) : undefined;
  return manifestLocation(manifest, path ?? []);
}

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

/** The API groups and kind names of the kinds we read (ours and the tools' we accept as they are). */
interface KindNames {
  groups: Set<string>;
  kinds: Set<string>;
}

/** Made once per list of kinds (the registry passes the same one every time), not once per document. */
const kindNamesCache = new WeakMap<readonly ManifestKind[], KindNames>();

function kindNames(kinds: readonly ManifestKind[]): KindNames {
  let names = kindNamesCache.get(kinds);
  if (!names) {
    const apiVersions = kinds.flatMap((d) => [d.apiVersion, ...(d.aliases ?? []).map((a) => a.apiVersion)]);
    names = {
      groups: new Set(apiVersions.map((v) => v.split('/')[0]!)),
      kinds: new Set(kinds.flatMap((d) => [d.kind, ...(d.aliases ?? []).map((a) => a.kind)])),
    };
    kindNamesCache.set(kinds, names);
  }
  return names;
}

/** Every apiVersion and kind read, ours first, each followed by the other tools' it accepts. */
export function supportedKinds(kinds: readonly ManifestKind[]): string[] {
  return kinds.flatMap((d) => [
    `${d.apiVersion} ${d.kind}`,
    ...(d.aliases ?? []).map((a) => `${a.apiVersion} ${a.kind}`),
  ]);
}

/** The kind of a document's apiVersion and kind, with the alias when it is in another tool's format. */
export function findKind<K extends ManifestKind>(
  kinds: readonly K[],
  apiVersion: string,
  kind: string,
): { definition: K; alias?: NonNullable<K['aliases']>[number] } | undefined {
  for (const definition of kinds) {
    if (definition.apiVersion === apiVersion && definition.kind === kind) return { definition };
    for (const alias of definition.aliases ?? []) {
      if (alias.apiVersion === apiVersion && alias.kind === kind) return { definition, alias };
    }
  }
  return undefined;
}

/**
 * The rule that tells a manifest from the other YAML a config repo holds (CI workflows, Helm values,
 * kustomizations, plain Kubernetes objects): a mapping whose apiVersion is in one of our groups
 * (image-gitops.io, skopeo.io, buildah.io, k8s.osp.tech), or that has no apiVersion and one of our kinds.
 * Anything else is skipped and listed as ignored; a document of ours with a wrong shape is an error.
 */
export function isManifestDocument(value: unknown, kinds: readonly ManifestKind[]): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const { apiVersion, kind } = value as Record<string, unknown>;
  if (typeof apiVersion === 'string' && apiVersion !== '')
    return apiVersion.includes('/') && kindNames(kinds).groups.has(apiVersion.split('/')[0]!);
  return typeof kind === 'string' && kindNames(kinds).kinds.has(kind);
}

function describeDocument(value: unknown): string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a mapping';
  const { apiVersion, kind } = value as Record<string, unknown>;
  if (typeof apiVersion === 'string' && apiVersion !== '')
    return `apiVersion ${apiVersion}${typeof kind === 'string' ? ` kind ${kind}` : ''}`;
  return 'no apiVersion';
}

/**
 * From the repo's files to validated manifests in their canonical kind. Pure apart from reading schemas:
 * every problem is located (file, line, column, field) and nothing stops the other documents.
 */
export interface LoadOptions {
  /**
   * The namespace of a manifest that names none (the reconciler's): two manifests that are one once it is
   * filled in (`Kind/name` and `Kind/<that namespace>/name`) are duplicates, the later one invalid.
   */
  defaultNamespace?: string;
  /** What each file gave last time, reused while its content is the same (the reconciler keeps one). */
  cache?: FileReadings;
}

/** What one file gives before the checks across files (duplicates): its problems, what it skips, its documents. */
interface FileReading {
  content: string;
  problems: Problem[];
  ignored: IgnoredFile[];
  documents: Array<{ index: number; result: Manifest | InvalidManifest }>;
}

/**
 * Each file's reading of the load before, by path: parsing and validating is the cost of loading, and a
 * commit that changes one file should pay for that file only. The checks across files (duplicate names)
 * run over every file each time, so a load with the cache gives what one without it gives.
 */
export class FileReadings {
  private readonly readings = new CarriedOver<FileReading>();
  /** Files parsed and validated by the last load (the others were reused). */
  parsed = 0;

  reading(file: SourceFile, read: () => FileReading): FileReading {
    const before = this.readings.take(file.path, (r) => r.content === file.content);
    if (before) return before;
    this.parsed++;
    const reading = read();
    this.readings.keep(file.path, reading);
    return reading;
  }

  /** Once a load is done: what was not read this time (a file gone) is dropped. */
  settle(): void {
    this.readings.settle();
  }

  clear(): void {
    this.readings.clear();
  }
}

/** A manifest refused as another one's duplicate, with why and where. */
function duplicateOf(
  manifest: Pick<InvalidManifest, 'key' | 'kind' | 'name' | 'origin'>,
  message: string,
  location: Problem['location'],
): InvalidManifest {
  const { key, kind, name, origin } = manifest;
  return { key, kind, name, origin, problems: [{ code: 'DUPLICATE_MANIFEST', message, location }] };
}

/** localeCompare's order (the default locale's collation), with one collator instead of one per call. */
const byPath = new Intl.Collator().compare;

export function readManifests(
  files: readonly SourceFile[],
  kinds: readonly ManifestKind[],
  validator = new SchemaValidator(),
  options: LoadOptions = {},
): LoadedManifests {
  const manifests: Manifest[] = [];
  const invalid: InvalidManifest[] = [];
  const fileProblems: Problem[] = [];
  const ignored: IgnoredFile[] = [];
  const firstSeen = new Map<string, ManifestOrigin>();
  const defaulted = new Map<string, { key: string; origin: ManifestOrigin }>();

  const sorted = [...files].filter((f) => isManifestFile(f.path)).sort((a, b) => byPath(a.path, b.path));
  const cache = options.cache;
  if (cache) cache.parsed = 0;
  for (const file of sorted) {
    const read = () => readFile(file, kinds, validator);
    const reading = cache ? cache.reading(file, read) : read();
    fileProblems.push(...reading.problems);
    ignored.push(...reading.ignored);
    // Asked only for a duplicate: the file is parsed again then (the syntax tree is not kept).
    const locate = (index: number, path: readonly (string | number)[]) =>
      parseManifestFile(file).documents[index]?.locate(path) ?? { file: file.path };
    for (const { index, result } of reading.documents) {
      if ('problems' in result) {
        invalid.push(result);
        continue;
      }
      const earlier = firstSeen.get(result.key);
      if (earlier) {
        invalid.push(
          duplicateOf(
            result,
            `${result.key} is already defined at ${earlier.file}:${earlier.line}; names must be unique per kind`,
            locate(index, ['metadata', 'name']),
          ),
        );
        continue;
      }
      const identity =
        options.defaultNamespace === undefined
          ? undefined
          : `${result.kind}/${result.namespace ?? options.defaultNamespace}/${result.name}`;
      const same = identity ? defaulted.get(identity) : undefined;
      if (same) {
        invalid.push(
          duplicateOf(
            result,
            `${result.key} is ${same.key} at ${same.origin.file}:${same.origin.line} once the namespace is filled in (a manifest without metadata.namespace goes to ${options.defaultNamespace}); names must be unique per kind and namespace`,
            locate(index, ['metadata', result.namespace ? 'namespace' : 'name']),
          ),
        );
        continue;
      }
      if (identity) defaulted.set(identity, { key: result.key, origin: result.origin });
      firstSeen.set(result.key, result.origin);
      documents.set(result, { file, index });
      manifests.push(result);
    }
  }
  cache?.settle();
  return { manifests, invalid, fileProblems, ignored };
}

/** One file on its own: parsed, each document of ours validated and checked; the rest skipped by rule. */
function readFile(file: SourceFile, kinds: readonly ManifestKind[], validator: SchemaValidator): FileReading {
  const parsed = parseManifestFile(file);
  const reading: FileReading = {
    content: file.content,
    problems: parsed.problems,
    ignored: [],
    documents: [],
  };
  const ours = parsed.documents.filter((d) => isManifestDocument(d.value, kinds));
  if (ours.length === 0) {
    if (parsed.problems.length === 0) {
      const seen = [...new Set(parsed.documents.map((d) => describeDocument(d.value)))].join('; ');
      reading.ignored.push({
        file: file.path,
        reason: `not an image-gitops manifest${seen ? ` (${seen})` : ' (empty)'}`,
      });
    }
    return reading;
  }
  for (const [index, document] of parsed.documents.entries()) {
    const mapping = document.value && typeof document.value === 'object' && !Array.isArray(document.value);
    if (mapping && !isManifestDocument(document.value, kinds)) {
      reading.ignored.push({
        file: file.path,
        line: document.line,
        reason: `not an image-gitops manifest (${describeDocument(document.value)})`,
      });
      continue;
    }
    reading.documents.push({ index, result: loadDocument(document, validator, kinds) });
  }
  return reading;
}

function loadDocument(
  document: ParsedDocument,
  validator: SchemaValidator,
  kinds: readonly ManifestKind[],
): Manifest | InvalidManifest {
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
  const match = findKind(kinds, id.apiVersion, id.kind);
  if (!match) {
    // Point at what is wrong: an apiVersion nothing uses, or else the kind.
    const knownApiVersion =
      id.apiVersion !== '' && supportedKinds(kinds).some((s) => s.startsWith(`${id.apiVersion} `));
    const field = knownApiVersion ? ['kind'] : ['apiVersion'];
    return {
      kind: id.kind || undefined,
      name: id.name,
      origin,
      problems: [
        {
          code: 'UNKNOWN_KIND',
          message: `unknown apiVersion/kind "${id.apiVersion} ${id.kind}"; supported: ${supportedKinds(kinds).join(', ')}`,
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
