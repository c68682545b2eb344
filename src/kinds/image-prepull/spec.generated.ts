// Generated from schemas/image-prepull.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * Keeps images pulled on every selected node with one DaemonSet (a container per image running a static sleep). kubernetes-image-puller's string forms are accepted for images, nodeSelector, affinity, tolerations and imagePullSecrets.
 */
export interface ImagePrepullManifest {
  apiVersion: 'image-gitops.io/v1alpha1';
  kind: 'ImagePrepull';
  metadata: {
    name: string;
    namespace?: string;
    labels?: {
      [k: string]: string;
    };
    annotations?: {
      [k: string]: string;
    };
  };
  spec: ImagePrepullSpec;
}
export interface ImagePrepullSpec {
  /**
   * A list of {name, image}, or kubernetes-image-puller's IMAGES string name=image;name2=image2.
   */
  images: PrepullImage[] | string;
  /**
   * DAEMONSET_NAME; default: metadata.name.
   */
  daemonSetName?: string;
  resources?: PrepullResources;
  /**
   * An object, or NODE_SELECTOR's JSON string.
   */
  nodeSelector?:
    | {
        [k: string]: string;
      }
    | string;
  /**
   * An object, or AFFINITY's JSON string.
   */
  affinity?:
    | {
        [k: string]: unknown;
      }
    | string;
  /**
   * A list, or TOLERATIONS' JSON string.
   */
  tolerations?:
    | {
        [k: string]: unknown;
      }[]
    | string;
  /**
   * Secret names, or IMAGE_PULL_SECRETS' secret1;secret2.
   */
  imagePullSecrets?: string[] | string;
  /**
   * @default "Always"
   */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * KIP_IMAGE: image with /bin/sh and /bin/sleep (static) to copy; default: the reconciler's sleep image.
   */
  sleepImage?: string;
  /**
   * Namespace of the DaemonSet (kubernetes-image-puller's NAMESPACE); default: metadata.namespace, then the reconciler's namespace.
   */
  namespace?: string;
  /**
   * Annotations of the DaemonSet and of its pods: an object, or DAEMONSET_ANNOTATIONS' JSON string.
   */
  daemonSetAnnotations?:
    | {
        [k: string]: string;
      }
    | string;
  /**
   * How long the DaemonSet may stay unhealthy (not every selected node runs an updated, available pod) before its pods are all re-created, as kubernetes-image-puller re-created its DaemonSet (CACHING_INTERVAL_HOURS); `never` turns it off.
   *
   * @default "1h"
   */
  recreateUnhealthyAfter?: string;
  /**
   * Set by the KubernetesImagePuller conversion: keys the puller does not read. Reported in the manifest's status, never applied.
   */
  ignoredSettings?: string[];
}
export interface PrepullImage {
  /**
   * Container name (made DNS-safe when rendered).
   */
  name: string;
  image: string;
}
/**
 * Per cached image container; defaults 10Mi/20Mi memory, 50m/200m CPU (requests/limits).
 */
export interface PrepullResources {
  requests?: {
    cpu?: string;
    memory?: string;
  };
  limits?: {
    cpu?: string;
    memory?: string;
  };
}
