/**
 * What a manifest would do to images, as `diff` shows it next to the object changes (src/cli/diff.ts).
 */
/** One image copy a manifest would make: source and destination, each with the digest seen there now. */
export interface PlannedCopy {
  source: string;
  sourceDigest: string;
  destination: string;
  /** Absent when the destination has no such tag yet; else the digest the copy replaces. */
  destinationDigest?: string;
}

/** One build a manifest stands for: whether the next sync starts it, and why. */
export interface PlannedBuild {
  image: string;
  build: boolean;
  why: string;
}

/**
 * A pushed tag a manifest deletes from its destination (ImageSync's `prune`), or would but does not, and why:
 * `delete` is done by the sync's Job; `refused` (the mass guard), `held`, `retained`, `kept`... are not.
 */
export interface PlannedDeletion {
  /** The destination image and tag. */
  image: string;
  state: string;
  /** The digest deleted (`delete`). */
  digest?: string;
  why: string;
}

/**
 * What a manifest would do to images (for `diff`): the copies and builds behind its Jobs, which Job objects
 * alone do not show. Pure, from the observe step and the rendered objects. Lists are bounded (`more`).
 */
export interface ImagePlan {
  /** One line a reviewer reads first, e.g. "3 tags to copy in 1 Job; 12 up to date". */
  summary: string;
  copies?: PlannedCopy[];
  builds?: PlannedBuild[];
  /** Tags this manifest pushed that left its selection: deleted, or why not. */
  deletions?: PlannedDeletion[];
  /** Copies left out of `copies` by the bound. */
  more?: number;
}
