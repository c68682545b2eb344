/** The ImageBackup spec, as `schemas/image-backup.schema.json` describes it. */
import type { RegistrySettings } from '../image-sync/spec.js';

export interface ImageBackupSpec {
  /** Where copies go, with an optional path: `registry.example.com/backup`, `10.96.0.11:5001`. */
  backupRegistry: string;
  /**
   * How copies are named: `nested` (default, image-clone-controller's `<backup>/index_docker_io/library/nginx`)
   * or `flat` (`<backup>/index_docker_io_library_nginx`), for registries that hold one repository level under
   * an organisation (Docker Hub, some quay.io setups).
   */
  naming?: 'nested' | 'flat';
  /** Namespaces whose workloads are backed up; absent means every namespace. */
  namespaces?: string[];
  /** Namespaces left alone, besides `kube-system` (unless listed in `namespaces`) and labelled ones. */
  ignoreNamespaces?: string[];
  /** Point the workloads at their backup copies once these exist (default false). */
  rewrite?: boolean;
  /**
   * With `rewrite`: a `kubernetes.io/dockerconfigjson` Secret in the manifest's namespace (labelled
   * `image-gitops.io/usable-by-manifests: "true"`) holding read credentials for the backup registry. Its entry
   * for that host alone is copied into each namespace of rewritten workloads, as the Secret
   * `image-gitops-backup-pull-<hash>` added to their imagePullSecrets. Use a read-only robot account, never
   * the push credentials of `registries`.
   */
  pullSecret?: string;
  /** Credentials, TLS and CA per registry: the same field as ImageSync's. */
  registries?: RegistrySettings[];
}
