/** What a source gives: the files of the config repo at one commit, and those it skipped. */

/** A file of the config repo as read at one commit (or from a local folder for `validate`). */
export interface SourceFile {
  /** Path relative to the manifests root, with '/' separators. */
  path: string;
  content: string;
  /** The raw bytes (content is their UTF-8 reading), for kinds that ship files as they are. */
  bytes?: Uint8Array;
}

/** A file (or one document of it) that is not a manifest and is skipped by rule, with the rule. */
export interface IgnoredFile {
  file: string;
  /** The document's first line, when only some documents of the file are skipped. */
  line?: number;
  reason: string;
}
