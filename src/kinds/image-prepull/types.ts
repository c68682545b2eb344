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
  /** NAMESPACE: where the DaemonSet goes; default metadata.namespace, then the reconciler's. */
  namespace?: string;
  /** DAEMONSET_ANNOTATIONS: annotations of the DaemonSet and its pods (an object or its JSON string). */
  daemonSetAnnotations?: Record<string, string> | string;
  /**
   * How long the DaemonSet may stay unhealthy before its pods are re-created (`30m`, `2h`; `never`), as the
   * puller re-created its DaemonSet (CACHING_INTERVAL_HOURS). Default 1h.
   */
  recreateUnhealthyAfter?: string;
  /** Set by the KubernetesImagePuller conversion: keys the puller does not read, reported and ignored. */
  ignoredSettings?: string[];
}
