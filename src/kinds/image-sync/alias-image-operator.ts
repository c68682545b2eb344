/**
 * image-operator's `skopeo.io/v1alpha1 Image`, accepted as written and converted to an ImageSync spec with the
 * same meaning:
 * - `source/destination.name` + `version` → image + tag (Docker Hub names normalised the same way);
 * - a `version` pattern (`v2.13.x`, `2.x.0`, `4.x.x`) → `tags.pattern`, the destination keeping each tag;
 *   `allowCandidateRelease` → `tags.releaseCandidates`;
 * - `OneShot` / `OnceByTag` / `Recurrent` keep their names; `frequency` → `schedule` (same units).
 *   A pattern under OneShot copies every matching tag, as image-operator does; ours also picks up tags that
 *   appear later, since each sync only copies what the destination lacks.
 * - image-operator's global env settings are reconciler settings here (Settings.imageSync.registries, env
 *   SYNC_REGISTRIES): CREDS_SOURCE_USERNAME/PASSWORD → a username/password Secret named for the source host,
 *   CREDS_DESTINATION_* for the destination host, DISABLE_SRC/DEST_TLS_VERIFICATION=true → `tlsVerify: false`.
 */

import type { ImageSyncSpec } from './spec.js';
import { isTagPattern } from './tags.js';

export interface ImageOperatorSpec {
  mode: 'OneShot' | 'OnceByTag' | 'Recurrent';
  frequency?: string;
  allowCandidateRelease?: boolean;
  source: { name: string; version: string };
  destination: { name: string; version: string };
}

export function convertImageOperatorImage(document: Record<string, unknown>): ImageSyncSpec {
  const spec = document.spec as ImageOperatorSpec;
  const result: ImageSyncSpec = {
    source: { image: spec.source.name },
    destination: { image: spec.destination.name },
    mode: spec.mode,
  };
  if (isTagPattern(spec.source.version)) {
    result.mode = spec.mode === 'Recurrent' ? 'Recurrent' : 'OnceByTag';
    result.tags = { pattern: spec.source.version, releaseCandidates: spec.allowCandidateRelease === true };
    // image-operator writes the same pattern on both sides: each tag keeps its name.
    result.destination.tag = isTagPattern(spec.destination.version) ? '{{tag}}' : spec.destination.version;
  } else {
    result.source.tag = spec.source.version;
    result.destination.tag = spec.destination.version;
  }
  if (spec.frequency) result.schedule = spec.frequency;
  return result;
}
