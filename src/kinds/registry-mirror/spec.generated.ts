// Generated from schemas/registry-mirror.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * containerd: hosts.toml under certs.d (needs containerd's config_path); hosts: mirror-operator's /etc/hosts masquerade; none: no node DaemonSet.
 *
 * @default "containerd"
 */
export type NodeConfigMode = 'containerd' | 'hosts' | 'none';

/**
 * An in-cluster pull-through cache of one upstream registry (distribution registry StatefulSet) and a DaemonSet that points nodes at it.
 */
export interface RegistryMirrorManifest {
  apiVersion: 'image-gitops.io/v1alpha1';
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
  };
  spec: RegistryMirrorSpec;
}
export interface RegistryMirrorSpec {
  /**
   * The registry to cache: host[:port] (https), or an http:// or https:// URL without a path. Docker Hub: docker.io.
   */
  upstreamUrl: string;
  /**
   * nodeConfig hosts: the name nodes resolve to the mirror (default mirror-<upstream host>).
   */
  masqueradeUrl?: string;
  /**
   * Secret with the upstream credentials (keys username and password unless named).
   */
  credentialsSecret?: string | CredentialsSecretRef;
  /**
   * ConfigMap of extra CA certificates (PEM) trusted for the upstream.
   */
  upstreamCaConfigMap?: string;
  /**
   * @default 1
   */
  replicas?: number;
  storage?: StorageSpec;
  volumeClaimTemplate?: VolumeClaimTemplate;
  resources?: MirrorResources;
  service?: {
    port?: number;
    /**
     * Pin the Service's ClusterIP (written into the node configuration).
     */
    clusterIP?: string;
  };
  /**
   * A kubernetes.io/tls Secret (tls.crt, tls.key, optional ca.crt): the mirror then serves HTTPS.
   */
  tls?: {
    secretName: string;
  };
  nodeConfig?: NodeConfigMode;
  nodes?: NodesSpec;
  nodeSelector?: {
    [k: string]: string;
  };
  tolerations?: {
    [k: string]: unknown;
  }[];
  affinity?: {
    [k: string]: unknown;
  };
  priorityClassName?: string;
  imagePullSecrets?: string[];
  /**
   * Extra labels on the StatefulSet and DaemonSet (mirror-operator's SS_DS_LABELS).
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Extra labels on their pods (mirror-operator's SS_DS_TEMPLATE_LABELS).
   */
  podLabels?: {
    [k: string]: string;
  };
}
export interface CredentialsSecretRef {
  name: string;
  /**
   * Key of the Secret holding the upstream user name (mirror-operator's username).
   */
  usernameKey?: string;
  passwordKey?: string;
}
export interface StorageSpec {
  /**
   * @default "20Gi"
   */
  size?: string;
  storageClassName?: string;
  /**
   * @minItems 1
   */
  accessModes?: ('ReadWriteOnce' | 'ReadWriteOncePod' | 'ReadWriteMany' | 'ReadOnlyMany')[];
}
/**
 * A PersistentVolumeClaim as mirror-operator accepted it; only its spec is used.
 */
export interface VolumeClaimTemplate {
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
}
export interface MirrorResources {
  requests?: {
    [k: string]: string;
  };
  limits?: {
    [k: string]: string;
  };
}
export interface NodesSpec {
  nodeSelector?: {
    [k: string]: string;
  };
  tolerations?: {
    [k: string]: unknown;
  }[];
  /**
   * Address nodes reach the mirror at, instead of the Service's ClusterIP, e.g. a name the nodes can resolve. Node runtimes do not use the cluster DNS, so a *.svc name usually does not work.
   */
  mirrorAddress?: string;
  /**
   * Refused: containerd's config_path on the nodes is set by the cluster's operator (the reconciler's CONTAINERD_CONFIG_PATH), not by the repo.
   */
  certsDir?: string;
}
