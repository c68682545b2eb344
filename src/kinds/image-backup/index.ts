/**
 * The ImageBackup kind: copy the images of the cluster's workloads to a backup registry with ImageSync's
 * bounded skopeo Jobs (image-clone-controller, image-cloner-controller), and optionally point the workloads
 * at the copies (rewrite.ts: a separate step the engine runs after apply, never rendered as owned objects).
 */
import type { KindDefinition } from '../types.js';
import { checkImageBackup } from './check.js';
import { type ImageBackupObserved, observeImageBackup } from './observe.js';
import { renderImageBackup } from './render.js';
import type { ImageBackupSpec } from './types.js';

export type { ImageBackupObserved } from './observe.js';
export {
  applyWorkloadRewrites,
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
};
