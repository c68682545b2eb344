/** One image copy: where from (a tag or a digest) and where to, as ImageSync and ImageBackup name them. */
import type { ImageReference } from './references.js';

export interface CopyPair {
  /** The source tag, or `sha256:<hex>` for a digest source. */
  sourceRef: string;
  source: ImageReference;
  destination: ImageReference;
}

/** `sha256:ab12...` → `sha256_ab12...`: a digest written as a valid tag. */
export function digestTag(digest: string): string {
  return digest.replace(':', '_');
}
