/**
 * image-operator's `skopeo.io/v1alpha1 Image`, accepted as written and converted to an ImageSync spec with the
 * same meaning:
 * - `source/destination.name` + `version` → image + tag (Docker Hub names normalised the same way);
 * - a `version` pattern (`v2.13.x`, `2.x.0`, `4.x.x`) → `tags.pattern` with `syntax: image-operator`, so
 *   that it selects exactly what image-operator's regex selects (`2.13.x` also `v2.13.4`, `-rc<digit>` with
 *   `allowCandidateRelease` → `tags.releaseCandidates`); the destination keeps each tag.
 * - `Recurrent` copies every `frequency` (elapsed time, default 5m as image-operator's CRD; schedule.ts);
 *   with a pattern, each run copies the matching tags whose destination differs (image-operator copies them
 *   all again; an unchanged copy changes nothing). `OneShot` and `OnceByTag` with a pattern become OnceByTag:
 *   the matching tags are copied, and tags that appear later too (see the README for how this differs).
 *   `frequency` is read for Recurrent only: other modes look at every sync.
 * - image-operator's global env settings (CREDS_SOURCE/DESTINATION_USERNAME/PASSWORD,
 *   DISABLE_SRC/DEST_TLS_VERIFICATION) are read as they are and apply to the sides of every `Image`
 *   (Settings.imageSync.imageOperator, registries.ts).
 * - `source/destination.useAwsIRSA: true` → `registries: [{host: <that side's registry>, awsEcr: true}]`: an ECR
 *   token from the reconciler's AWS identity (registry/ecr.ts), for its own calls and in the Jobs' authfile.
 */

import { DEFAULT_FREQUENCY } from '../../core/schedule.js';
import { awsIrsaRegistries } from '../../registry/ecr.js';
import type { ImageSyncSpec } from './spec.js';
import { isTagPattern } from './tags.js';

export interface ImageOperatorSpec {
  mode: 'OneShot' | 'OnceByTag' | 'Recurrent';
  frequency?: string;
  allowCandidateRelease?: boolean;
  source: { name: string; version: string; useAwsIRSA?: boolean };
  destination: { name: string; version: string; useAwsIRSA?: boolean };
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
    result.tags = {
      pattern: spec.source.version,
      releaseCandidates: spec.allowCandidateRelease === true,
      syntax: 'image-operator',
    };
    // image-operator writes the same pattern on both sides: each tag keeps its name.
    result.destination.tag = isTagPattern(spec.destination.version) ? '{{tag}}' : spec.destination.version;
  } else {
    result.source.tag = spec.source.version;
    result.destination.tag = spec.destination.version;
  }
  if (spec.mode === 'Recurrent') result.schedule = spec.frequency ?? DEFAULT_FREQUENCY;
  const irsa = awsIrsaRegistries([spec.source, spec.destination]);
  if (irsa.length > 0) result.registries = irsa;
  return result;
}
