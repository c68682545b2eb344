// Generated from schemas/image-backup.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

export type NamespaceName = string;

/**
 * Copy the images used by the cluster's workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs, bare Pods; initContainers included) to a backup registry with bounded skopeo Jobs, named as image-clone-controller names them (nginx -> <backupRegistry>/index_docker_io/library/nginx:latest) or, with naming: flat, in one repository level (<backupRegistry>/index_docker_io_library_nginx:latest). Optionally rewrite the workloads to the copies once they exist.
 */
export interface ImageBackupManifest {
  apiVersion: 'image-gitops.io/v1alpha1';
  kind: 'ImageBackup';
  metadata: Metadata;
  spec: ImageBackupSpec;
}
export interface Metadata {
  name: string;
  namespace?: string;
  labels?: {
    [k: string]: string;
  };
  annotations?: {
    [k: string]: string;
  };
  [k: string]: unknown;
}
export interface ImageBackupSpec {
  /**
   * Registry host with an optional path, e.g. registry.example.com/backup or 10.96.0.11:5001 (image-clone-controller's --backup-registry, image-cloner-controller's BACKUP_REGISTRY)
   */
  backupRegistry: string;
  /**
   * How copies are named. nested (image-clone-controller's scheme): nginx -> <backupRegistry>/index_docker_io/library/nginx:latest. flat, for registries that hold one repository level under an organisation (Docker Hub, some quay.io setups): nginx -> <backupRegistry>/index_docker_io_library_nginx:latest, ghcr.io/org/app:v1 -> <backupRegistry>/ghcr_io_org_app:v1. Parts joined by _ can meet: ghcr.io/a_b/c and ghcr.io/a/b_c both give ghcr_io_a_b_c; prefer nested where the registry allows it.
   *
   * @default "nested"
   */
  naming?: 'nested' | 'flat';
  /**
   * Namespaces whose workloads are backed up; absent means every namespace
   *
   * @minItems 1
   */
  namespaces?: NamespaceName[];
  /**
   * Namespaces left alone (image-cloner-controller's NAMESPACES_TO_IGNORE). kube-system is always ignored unless listed in namespaces; so are namespaces labelled image-gitops.io/backup=disabled or image-cloner-controller's validate-backups.image-cloner.io=disable
   */
  ignoreNamespaces?: NamespaceName[];
  /**
   * Point the workloads at their backup copies once each copy's digest equals the source's; the original images are kept in the annotation image-gitops.io/original-images and set back when this turns false or the manifest is removed
   *
   * @default false
   */
  rewrite?: boolean;
  /**
   * With rewrite: a kubernetes.io/dockerconfigjson Secret in the manifest's namespace, labelled image-gitops.io/usable-by-manifests: "true", holding read credentials for the backup registry. Its entry for that host alone is copied into each namespace of rewritten workloads as the Secret image-gitops-backup-pull-<hash>, which the rewrite adds to the pod template's imagePullSecrets (the workload's own entries stay). Use a read-only robot account, not the push credentials of registries. Bare Pods are not rewritten when it is set (a Pod's imagePullSecrets cannot change)
   */
  pullSecret?: string;
  /**
   * Credentials, TLS verification and CA per registry (sources and backup), as in ImageSync
   */
  registries?: BackupRegistrySettings[];
}
/**
 * How to reach one registry, as ImageSync's registries (no awsEcr).
 */
export interface BackupRegistrySettings {
  /**
   * Registry host[:port] (an https:// or http:// prefix is allowed); no spaces, quotes, ; or other characters
   */
  host: string;
  credentialsSecret?: string;
  /**
   * @default true
   */
  tlsVerify?: boolean;
  caSecret?: CaSource;
  caConfigMap?: CaSource;
  budget?: PullBudget;
}
/**
 * A key of a Secret or ConfigMap holding a PEM CA (default key ca.crt).
 */
export interface CaSource {
  name: string;
  /**
   * @default "ca.crt"
   */
  key?: string;
}
/**
 * A pull budget for this registry and the credential used (its user name, or anonymous), shared by every manifest that declares it (declare it in SYNC_REGISTRIES to bind them all): at most pulls manifest GETs (what Docker Hub counts; not HEADs, not blobs) in any window of per. Copies are planned newest first within what is left, the rest deferred (status says how many and when they run); the registry's RateLimit-Remaining and a 429 count too
 */
export interface PullBudget {
  /**
   * Manifest GETs allowed per window, e.g. 180 of Docker Hub's 200 for an account
   */
  pulls: number;
  /**
   * The window, a duration: 6h, 1h30m, 1d
   */
  per: string;
  /**
   * Platforms assumed in a multi-platform image copied whole (--all): it costs 1 + this many manifest GETs
   *
   * @default 2
   */
  platformsPerIndex?: number;
}
