import type { Problem } from '../core/errors.js';

/** A file of the config repo as read at one commit (or from a local folder for `validate`). */
export interface SourceFile {
  /** Path relative to the manifests root, with '/' separators. */
  path: string;
  content: string;
  /** The raw bytes (content is their UTF-8 reading), for kinds that ship files as they are. */
  bytes?: Uint8Array;
}

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

/** A file (or one document of it) that is not a manifest and is skipped by rule, with the rule. */
export interface IgnoredFile {
  file: string;
  /** The document's first line, when only some documents of the file are skipped. */
  line?: number;
  reason: string;
}

export interface LoadedManifests {
  manifests: Manifest[];
  invalid: InvalidManifest[];
  /** Problems not tied to one document (a file that is not YAML, a symlink leaving the root...). */
  fileProblems: Problem[];
  /** YAML files and documents that are not manifests (CI files, Helm values, kustomizations...). */
  ignored: IgnoredFile[];
}
