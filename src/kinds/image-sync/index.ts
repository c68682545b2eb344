/** The ImageSync kind: copy images between registries with skopeo Jobs (one-shot, scheduled, by tag pattern). */

import type { KubeObject } from '../../core/kube-object.js';
import { copyImagePlan } from '../../jobs/copy-plan.js';
import type { Manifest } from '../../manifests/types.js';
import type { ImagePlan, KindDefinition, RenderContext } from '../types.js';
import { convertImageOperatorImage } from './alias-image-operator.js';
import { checkImageSync } from './check.js';
import { plannedDeletions } from './deletion-job.js';
import { finalizeImageSync } from './finalize.js';
import { readLeaving } from './leaving.js';
import { copyPairFor, effectiveMode } from './naming.js';
import { type ImageSyncObserved, observeImageSync } from './observe.js';
import { destinationRepository } from './observe-deletions.js';
import { timedFrequency } from './recurrence.js';
import { renderImageSync } from './render.js';
import type { ImageSyncSpec } from './spec.js';

export type { ImageSyncObserved } from './observe.js';
export type { ImageSyncSpec } from './spec.js';

export const imageSyncKind: KindDefinition<ImageSyncSpec, ImageSyncObserved> = {
  kind: 'ImageSync',
  apiVersion: 'image-gitops.io/v1alpha1',
  schemaFile: 'image-sync.schema.json',
  aliases: [
    {
      apiVersion: 'skopeo.io/v1alpha1',
      kind: 'Image',
      schemaFile: 'skopeo.io-image.schema.json',
      convert: convertImageOperatorImage,
    },
  ],
  check: checkImageSync,
  produces: [
    { apiVersion: 'batch/v1', kind: 'Job' },
    { apiVersion: 'batch/v1', kind: 'CronJob' },
    { apiVersion: 'v1', kind: 'Secret' },
    { apiVersion: 'v1', kind: 'ConfigMap' },
  ],
  observe: observeImageSync,
  remember: (observed) => observed.memory,
  render: renderImageSync,
  finalize: { pending: (memory) => readLeaving(memory) !== undefined, step: finalizeImageSync },
  imagePlan: imageSyncPlan,
};

/** The tags the next sync copies (a CronJob's runs copy at their own times: only the schedule is known). */
function imageSyncPlan(
  manifest: Manifest<ImageSyncSpec>,
  context: RenderContext<ImageSyncObserved>,
  objects: KubeObject[],
): ImagePlan {
  const plan = copyPlan(manifest, context, objects);
  const deletions = context.observed.deletions ?? [];
  return deletions.length > 0
    ? { ...plan, deletions: plannedDeletions(destinationRepository(manifest.spec), deletions) }
    : plan;
}

function copyPlan(
  manifest: Manifest<ImageSyncSpec>,
  context: RenderContext<ImageSyncObserved>,
  objects: KubeObject[],
): ImagePlan {
  const spec = manifest.spec;
  if (effectiveMode(spec) === 'Recurrent' && timedFrequency(spec) === undefined)
    return { summary: `copies on the CronJob's schedule "${spec.schedule}": ${context.observed.message}` };
  if (context.observed.run && !context.observed.run.due) return { summary: context.observed.message };
  return copyImagePlan({
    pairFor: (ref) => copyPairFor(spec, ref),
    pending: context.observed.pending,
    ...(context.observed.replaces ? { replaces: context.observed.replaces } : {}),
    objects,
    live: context.live,
    upToDate: context.observed.upToDate,
    ...(context.observed.budgetDeferred ? { budgetDeferred: context.observed.budgetDeferred } : {}),
  });
}
