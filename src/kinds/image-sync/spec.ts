/** The ImageSync spec, as `schemas/image-sync.schema.json` describes it. */
import type { TagSelector } from './tags.js';

export type SyncMode = 'OneShot' | 'Recurrent' | 'OnceByTag';

/** A key of a Secret or ConfigMap holding a PEM CA (default key `ca.crt`). */
export interface CaSource {
  name: string;
  key?: string;
}

/** How to reach one registry: credentials, TLS verification, CA. Secrets live in the manifest's namespace. */
export interface RegistrySettings {
  /** `quay.io`, `docker.io`, `registry.example.com:5000`. */
  host: string;
  /** A Secret of type kubernetes.io/dockerconfigjson, or with `username` and `password` keys. */
  credentialsSecret?: string;
  /** Default true. */
  tlsVerify?: boolean;
  caSecret?: CaSource;
  caConfigMap?: CaSource;
  /** Credentials are an Amazon ECR token from the reconciler's AWS identity (IRSA); see registry/ecr.ts. */
  awsEcr?: boolean;
}

export interface ImageSyncSpec {
  source: {
    /** `quay.io/argoproj/argocd`; a tag or digest here is used when `tag`/`digest` are absent. */
    image: string;
    tag?: string;
    digest?: string;
  };
  destination: {
    /** May use `{{registry}}`, `{{repository}}`, `{{name}}`. */
    image: string;
    /** Template, default `{{tag}}`: the source tag, or `sha256_<hex>` for a digest source. */
    tag?: string;
  };
  /** Default: OnceByTag with `tags`, Recurrent with `schedule`, else OneShot. */
  mode?: SyncMode;
  /** `15m`, `1h`, `1d`, `1w` or a five-field cron expression. */
  schedule?: string;
  tags?: TagSelector;
  /** `os/arch[/variant]`; absent means every platform (`--all`). skopeo copies one chosen platform. */
  platforms?: string[];
  registries?: RegistrySettings[];
}
