import type { KindDefinition } from '../types.js';
import { convertKubernetesImagePuller } from './kubernetes-image-puller.js';
import { normalizePrepull } from './normalize.js';
import { observeImagePrepull } from './observe.js';
import { renderImagePrepull } from './render.js';
import type { ImagePrepullSpec } from './types.js';

/** ImagePrepull: keep a list of images pulled on every selected node (kubernetes-image-puller's job). */
export const imagePrepullKind: KindDefinition<ImagePrepullSpec> = {
  kind: 'ImagePrepull',
  // Written out rather than imported from kinds/registry.ts, which imports this module.
  apiVersion: 'image-gitops.io/v1alpha1',
  schemaFile: 'image-prepull.schema.json',
  aliases: [
    {
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'KubernetesImagePuller',
      schemaFile: 'image-gitops.io-kubernetesimagepuller.schema.json',
      convert: convertKubernetesImagePuller,
    },
  ],
  check: (spec) => normalizePrepull(spec).problems,
  produces: [{ apiVersion: 'apps/v1', kind: 'DaemonSet' }],
  observe: (manifest, context) => observeImagePrepull(manifest, context),
  render: (manifest, context) => renderImagePrepull(manifest, context),
};
