/** The ImageSync kind: copy images between registries with skopeo Jobs (one-shot, scheduled, by tag pattern). */
import type { KindDefinition } from '../types.js';
import { convertImageOperatorImage } from './alias-image-operator.js';
import { checkImageSync } from './check.js';
import { type ImageSyncObserved, observeImageSync } from './observe.js';
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
};
