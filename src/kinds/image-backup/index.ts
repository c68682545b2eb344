/**
 * The ImageBackup kind: copy the images of the cluster's workloads to a backup registry with ImageSync's
 * bounded skopeo Jobs (image-clone-controller, image-cloner-controller), and optionally point the workloads
 * at the copies (rewrite.ts: a separate step the engine runs after apply, never rendered as owned objects),
 * with pull credentials for the backup registry when `pullSecret` is set (pull-secret.ts: a Secret of ours in
 * each namespace of rewritten workloads, rendered and pruned like any owned object).
 */

import type { KubeObject } from '../../core/kube-object.js';
import type { ExternalEffects, KindDefinition } from '../types.js';
import { checkImageBackup } from './check.js';
import { type ImageBackupObserved, observeImageBackup } from './observe.js';
import { renderImageBackup } from './render.js';
import {
  applyWorkloadRewrites,
  observeRewrittenWorkloads,
  planWorkloadRestores,
  planWorkloadRewrites,
} from './rewrite.js';
import type { ImageBackupSpec } from './types.js';

export type { ImageBackupObserved } from './observe.js';
export {
  applyWorkloadRewrites,
  observeRewrittenWorkloads,
  planWorkloadRestores,
  planWorkloadRewrites,
  REWRITE_FIELD_MANAGER,
} from './rewrite.js';

import { REWRITE_FIELD_MANAGER } from './rewrite.js';

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
  external: workloadRewrites(),
};

/** The opt-in rewrite of workloads to their backup copies, and its undo. */
function workloadRewrites(): ExternalEffects<ImageBackupSpec, ImageBackupObserved> {
  const kubeOf = (apply: (o: KubeObject, fm: string) => Promise<void>) => ({
    apply: async (object: KubeObject, options?: { fieldManager?: string }) => {
      await apply(object, options?.fieldManager ?? REWRITE_FIELD_MANAGER);
      return object;
    },
  });
  const errorsOf = (
    results: { object: { kind: string; namespace?: string; name: string }; error?: string }[],
  ) =>
    results
      .filter((r) => r.error)
      .map((r) => `${r.object.kind} ${r.object.namespace ?? ''}/${r.object.name}: ${r.error}`);
  return {
    async reconcile(manifest, observed, context) {
      return errorsOf(
        await applyWorkloadRewrites(kubeOf(context.apply), planWorkloadRewrites(observed, manifest.spec)),
      );
    },
    async undoRemoved(presentKeys, context) {
      const rewritten = await observeRewrittenWorkloads(context.listObjects);
      return errorsOf(
        await applyWorkloadRewrites(kubeOf(context.apply), planWorkloadRestores(rewritten, presentKeys)),
      );
    },
  };
}
