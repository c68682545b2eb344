/**
 * The ImageBackup kind: copy the images of the cluster's workloads to a backup registry with ImageSync's
 * bounded skopeo Jobs (image-clone-controller, image-cloner-controller), and optionally point the workloads
 * at the copies (rewrite.ts: a separate step the engine runs after apply, never rendered as owned objects),
 * with pull credentials for the backup registry when `pullSecret` is set (pull-secret.ts: a Secret of ours in
 * each namespace of rewritten workloads, rendered and pruned like any owned object).
 */

import { copyImagePlan } from '../../jobs/copy-plan.js';
import type { ForeignPatch, ForeignPatches, KindDefinition } from '../types.js';
import { checkImageBackup } from './check.js';
import { backupCopyPair } from './naming.js';
import { type ImageBackupObserved, observeImageBackup } from './observe.js';
import { renderImageBackup } from './render.js';
import {
  observeRewrittenWorkloads,
  planWorkloadRestores,
  planWorkloadRewrites,
  REWRITE_FIELD_MANAGER,
  type WorkloadRewrite,
} from './rewrite.js';
import type { ImageBackupSpec } from './types.js';

export type { ImageBackupObserved } from './observe.js';
export {
  observeRewrittenWorkloads,
  planWorkloadRestores,
  planWorkloadRewrites,
  REWRITE_FIELD_MANAGER,
} from './rewrite.js';
export type { ImageBackupSpec } from './types.js';

export const imageBackupKind: KindDefinition<ImageBackupSpec, ImageBackupObserved> = {
  kind: 'ImageBackup',
  // Written out rather than imported from kinds/registry.ts, which imports this module.
  apiVersion: 'image-gitops.io/v1alpha1',
  schemaFile: 'image-backup.schema.json',
  check: checkImageBackup,
  produces: [
    { apiVersion: 'batch/v1', kind: 'Job' },
    { apiVersion: 'v1', kind: 'Secret' },
  ],
  observe: observeImageBackup,
  render: renderImageBackup,
  foreign: workloadRewrites(),
  imagePlan: (manifest, context, objects) => {
    const { observed } = context;
    const copies = copyImagePlan({
      pairFor: (ref) => backupCopyPair(manifest.spec, ref),
      pending: observed.pending,
      ...(observed.replaces ? { replaces: observed.replaces } : {}),
      objects,
      live: context.live,
      upToDate: observed.images.filter((i) => i.state === 'upToDate').length,
      ...(observed.budgetDeferred ? { budgetDeferred: observed.budgetDeferred } : {}),
    });
    const steps = planWorkloadRewrites(observed, manifest.spec);
    const count = (action: WorkloadRewrite['action']) => steps.filter((s) => s.action === action).length;
    const workloads = `${count('rewrite')} workload(s) to point at their copies, ${count('restore')} to set back`;
    return { ...copies, summary: `${copies.summary}; ${workloads}` };
  },
};

/** A rewrite (or its undo) as the engine plans it: a partial object under the rewrite's field manager. */
function foreignPatch(step: WorkloadRewrite, why?: string): ForeignPatch {
  const { kind, namespace, name } = step.object;
  const what = `${kind} ${namespace}/${name}`;
  return {
    patch: step.patch,
    fieldManager: REWRITE_FIELD_MANAGER,
    reason:
      step.action === 'rewrite'
        ? { code: 'PointToBackup', message: `point ${what} at its backup copies` }
        : {
            code: 'RestoreOriginal',
            message: `set ${what} back to its original images${why ? `: ${why}` : ''}`,
          },
  };
}

/** The opt-in rewrite of workloads to their backup copies, and its undo, as planned foreign changes. */
function workloadRewrites(): ForeignPatches<ImageBackupSpec, ImageBackupObserved> {
  return {
    plan: (manifest, observed) =>
      planWorkloadRewrites(observed, manifest.spec).map((step) => foreignPatch(step)),
    async planLeftBehind(presentKeys, listObjects) {
      const rewritten = await observeRewrittenWorkloads(listObjects);
      return planWorkloadRestores(rewritten, presentKeys).map((step) => ({
        ...foreignPatch(step, 'its ImageBackup left Git'),
        manifestKey: step.manifest,
      }));
    },
  };
}
