import type { ResourceSpec } from '../../config/settings.js';

/** How nodes are pointed at the mirror. */
export type NodeConfigMode = 'containerd' | 'hosts' | 'none';

export interface CredentialsSecretRef {
  name: string;
  /** Key of the Secret holding the upstream user name (mirror-operator's `username`). */
  usernameKey?: string;
  passwordKey?: string;
}

export interface StorageSpec {
  size?: string;
  storageClassName?: string;
  accessModes?: string[];
}

/** A PersistentVolumeClaim as mirror-operator accepted it; only its spec is used. */
export interface VolumeClaimTemplate {
  metadata?: Record<string, unknown>;
  spec: Record<string, unknown>;
}

export interface NodesSpec {
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  /**
   * Address written into the node configuration instead of the Service's ClusterIP, e.g. a name the
   * nodes can resolve. Node runtimes do not use the cluster DNS, so a `*.svc` name usually does not work.
   */
  mirrorAddress?: string;
  /**
   * Refused: containerd's `config_path` on the nodes is the operator's setting (CONTAINERD_CONFIG_PATH on the
   * reconciler; k3s: /var/lib/rancher/k3s/agent/etc/containerd/certs.d). Kept in the type to say so clearly.
   */
  certsDir?: string;
}

/** spec of `image-gitops.io/v1alpha1 RegistryMirror`, mirroring schemas/registry-mirror.schema.json. */
export interface RegistryMirrorSpec {
  /** `docker.io`, `quay.io`, `registry.example.com:5000`, `https://...` or `http://...`. */
  upstreamUrl: string;
  /** Host name nodes resolve to the mirror in `nodeConfig: hosts` (default `mirror-<upstream host>`). */
  masqueradeUrl?: string;
  credentialsSecret?: string | CredentialsSecretRef;
  /** ConfigMap holding extra CA certificates that the mirror trusts for the upstream. */
  upstreamCaConfigMap?: string;
  replicas?: number;
  storage?: StorageSpec;
  volumeClaimTemplate?: VolumeClaimTemplate;
  resources?: ResourceSpec;
  service?: { port?: number; clusterIP?: string };
  /** A `kubernetes.io/tls` Secret (tls.crt, tls.key, optional ca.crt): the mirror then serves HTTPS. */
  tls?: { secretName: string };
  nodeConfig?: NodeConfigMode;
  nodes?: NodesSpec;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
  priorityClassName?: string;
  imagePullSecrets?: string[];
  /** Extra labels on the StatefulSet and DaemonSet (mirror-operator's SS_DS_LABELS). */
  labels?: Record<string, string>;
  /** Extra labels on their pods (mirror-operator's SS_DS_TEMPLATE_LABELS). */
  podLabels?: Record<string, string>;
}
