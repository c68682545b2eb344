// Generated from schemas/image-gitops.io-kubernetesimagepuller.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * kubernetes-image-puller's ConfigMap with apiVersion image-gitops.io/v1alpha1 and kind KubernetesImagePuller; data keys as the current puller reads them (cfg/envvars.go). NAMESPACE is where the DaemonSet goes, CACHING_INTERVAL_HOURS how long the DaemonSet may stay unhealthy before its pods are re-created. Other keys (the 2020 multicluster ones...) are accepted and reported as ignored, as the puller, which reads the ConfigMap through envFrom, ignored them; so is a top-level `type`, which old ConfigMaps of the puller carried.
 */
export interface KubernetesImagePuller {
  apiVersion: 'image-gitops.io/v1alpha1';
  kind: 'KubernetesImagePuller';
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
  data: {
    /**
     * Hours a DaemonSet may stay unhealthy before its pods are re-created (the puller checked its DaemonSet's health at this interval); not a whole number: 1, as the puller.
     */
    CACHING_INTERVAL_HOURS?: string;
    CACHING_MEMORY_REQUEST?: string;
    CACHING_MEMORY_LIMIT?: string;
    CACHING_CPU_REQUEST?: string;
    CACHING_CPU_LIMIT?: string;
    DAEMONSET_NAME?: string;
    /**
     * JSON object of annotations for the DaemonSet and its pods, e.g. {"a":"b"}; {} or blank: none.
     */
    DAEMONSET_ANNOTATIONS?: string;
    /**
     * Namespace of the DaemonSet; blank: metadata.namespace, then the reconciler's.
     */
    NAMESPACE?: string;
    IMAGES: string;
    NODE_SELECTOR?: string;
    IMAGE_PULL_SECRETS?: string;
    AFFINITY?: string;
    KIP_IMAGE?: string;
    TOLERATIONS?: string;
    [k: string]: string | undefined;
  };
  /**
   * Not a ConfigMap field; old puller ConfigMaps carried `type: Opaque`. Ignored, and reported.
   */
  type?: string;
}
