// Generated from schemas/k8s.osp.tech-registrymirror.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * mirror-operator's RegistryMirror as written for it; converted to image-gitops.io/v1alpha1 RegistryMirror with 2 replicas and the reconciler's ADDRESSING_SCHEME (default hostess: nodeConfig hosts, served over TLS with tls.secretName or DOCKER_CERTIFICATE_SECRET).
 */
export interface MirrorOperatorRegistryMirror {
  apiVersion: 'k8s.osp.tech/v1';
  kind: 'RegistryMirror';
  metadata: {
    /**
     * DNS-1123 label, at most 36 characters: it becomes part of the object names.
     */
    name: string;
    namespace?: string;
    labels?: {
      [k: string]: string;
    };
    annotations?: {
      [k: string]: string;
    };
    [k: string]: unknown;
  };
  spec: {
    /**
     * The registry to cache: host[:port] (https), or an http:// or https:// URL without a path. Docker Hub: docker.io.
     */
    upstreamUrl: string;
    masqueradeUrl?: string;
    credentialsSecret?: string;
    volumeClaimTemplate?: {
      metadata?: {
        [k: string]: unknown;
      };
      /**
       * A PersistentVolumeClaim spec (accessModes, resources, storageClassName...).
       */
      spec: {
        accessModes?: string[];
        storageClassName?: string;
        resources?: {
          [k: string]: unknown;
        };
        [k: string]: unknown;
      };
      [k: string]: unknown;
    };
    priorityClass?: string;
    /**
     * A kubernetes.io/tls Secret (tls.crt, tls.key, optional ca.crt) the mirror serves HTTPS with and whose certificate the nodes trust for masqueradeUrl; default: the reconciler's DOCKER_CERTIFICATE_SECRET, as mirror-operator's.
     */
    tls?: {
      secretName: string;
    };
  };
  [k: string]: unknown;
}
