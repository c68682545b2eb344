import type { Problem } from '../core/errors.js';
import type { IgnoredFile } from '../source/types.js';

export type { IgnoredFile, SourceFile } from '../source/types.js';

/** Where a manifest was written, for error messages and the audit annotations. */
export interface ManifestOrigin {
  file: string;
  /** 1-based line of the document's first line. */
  line: number;
  /** The apiVersion and kind as written: an alias (e.g. skopeo.io/v1alpha1 Image) keeps its own. */
  apiVersion: string;
  kind: string;
}

/** A validated manifest in its canonical kind, ready to render. */
export interface Manifest<Spec = unknown> {
  /** `Kind/name` or `Kind/namespace/name`: unique in the repo. */
  key: string;
  kind: string;
  name: string;
  namespace?: string;
  spec: Spec;
  origin: ManifestOrigin;
}

/**
 * A document that could be identified (kind and name are readable) but not validated: its key is
 * known, so the objects it rendered before are kept rather than pruned.
 */
export interface InvalidManifest {
  key?: string;
  kind?: string;
  name?: string;
  origin: ManifestOrigin;
  problems: Problem[];
}

export interface LoadedManifests {
  manifests: Manifest[];
  invalid: InvalidManifest[];
  /** Problems not tied to one document (a file that is not YAML, a symlink leaving the root...). */
  fileProblems: Problem[];
  /** YAML files and documents that are not manifests (CI files, Helm values, kustomizations...). */
  ignored: IgnoredFile[];
}

/**
 * What reading manifests needs of a kind: its schema, the other tools' formats it accepts, and the checks a
 * schema cannot express. The kinds give it (src/kinds/registry.ts); this layer knows no kind by name.
 */
export interface ManifestKind {
  kind: string;
  apiVersion: string;
  /** File name under schemas/ for the whole document. */
  schemaFile: string;
  aliases?: ReadonlyArray<{
    apiVersion: string;
    kind: string;
    schemaFile: string;
    convert(document: Record<string, unknown>): unknown;
  }>;
  /** Each problem's field is a path like `/spec/x`. */
  // biome-ignore lint/suspicious/noExplicitAny: each kind checks its own spec type
  check?(spec: any): Array<{ field: string; message: string }>;
}
