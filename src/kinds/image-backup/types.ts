/** The ImageBackup spec, as `schemas/image-backup.schema.json` describes it. */
import type { RegistrySettings } from '../image-sync/spec.js';

export interface ImageBackupSpec {
  /** Where copies go, with an optional path: `registry.example.com/backup`, `10.96.0.11:5001`. */
  backupRegistry: string;
  /** Namespaces whose workloads are backed up; absent means every namespace. */
  namespaces?: string[];
  /** Namespaces left alone, besides `kube-system` (unless listed in `namespaces`) and labelled ones. */
  ignoreNamespaces?: string[];
  /** Point the workloads at their backup copies once these exist (default false). */
  rewrite?: boolean;
  /** Credentials, TLS and CA per registry: the same field as ImageSync's. */
  registries?: RegistrySettings[];
}
