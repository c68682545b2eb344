import type { ResourceSpec } from '../../config/settings.js';

export interface PrepullImage {
  /** Container name (made DNS-safe when rendered). */
  name: string;
  image: string;
}

/**
 * spec of `image-gitops.io/v1alpha1 ImagePrepull` (schemas/image-prepull.schema.json). Every setting of
 * kubernetes-image-puller may also be written in its string form (IMAGES `a=img;b=img2`, JSON for
 * NODE_SELECTOR / AFFINITY / TOLERATIONS, `s1;s2` for IMAGE_PULL_SECRETS), so its values paste as they are.
 */
export interface ImagePrepullSpec {
  images: PrepullImage[] | string;
  /** DAEMONSET_NAME; default: the manifest's name. */
  daemonSetName?: string;
  /** Per cached image container (CACHING_{MEMORY,CPU}_{REQUEST,LIMIT}). */
  resources?: ResourceSpec;
  nodeSelector?: Record<string, string> | string;
  affinity?: Record<string, unknown> | string;
  tolerations?: Record<string, unknown>[] | string;
  imagePullSecrets?: string[] | string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** KIP_IMAGE: image holding /bin/sleep and a shell to copy it; default Settings.images.sleep. */
  sleepImage?: string;
}
