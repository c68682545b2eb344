/** What a source gives: the files of the config repo at one commit, and those it skipped. */
import type { CommitInfo } from '../core/commit.js';
import type { Problem } from '../core/errors.js';

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

/** The config repo at one commit, as the pipeline's first step reads it. */
export interface SourceSnapshot {
  commit: CommitInfo;
  /** False when the remote's commit was already here: nothing was fetched. */
  fetched: boolean;
  files: SourceFile[];
  problems: Problem[];
  /** What is not read, and why: git submodules (their commits are not fetched). */
  ignored?: IgnoredFile[];
}

/**
 * Where manifests come from: a Git repository (git-source.ts) or, for the CLI's `--dir`, a local folder
 * (local-source.ts). Asking for the revision is cheap and is done every sync; the snapshot is read only
 * when the revision moved.
 */
export interface ManifestSource {
  /** The revision the source is at now: a commit sha (a local folder's HEAD, `+dirty` when edited). */
  resolveRemoteCommit(): Promise<string>;
  snapshotAt(revision: string): Promise<SourceSnapshot>;
}
