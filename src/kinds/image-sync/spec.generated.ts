// Generated from schemas/image-sync.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

/**
 * Default: OnceByTag with tags, Recurrent with schedule, else OneShot
 */
export type SyncMode = 'OneShot' | 'Recurrent' | 'OnceByTag';

/**
 * Copy images between registries with skopeo Jobs: one tag once (OneShot), one tag on a schedule (Recurrent), or every tag matching a selector, present and future (OnceByTag).
 */
export interface ImageSyncManifest {
  apiVersion: 'image-gitops.io/v1alpha1';
  kind: 'ImageSync';
  metadata: Metadata;
  spec: ImageSyncSpec;
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
export interface ImageSyncSpec {
  source: {
    /**
     * e.g. quay.io/argoproj/argocd or nginx (Docker Hub); a tag or digest here is used when tag/digest are absent
     */
    image: string;
    tag?: string;
    digest?: string;
  };
  destination: {
    /**
     * May use {{registry}}, {{repository}}, {{name}}
     */
    image: string;
    /**
     * Template, default {{tag}} (sha256_<hex> for a digest source)
     */
    tag?: string;
  };
  mode?: SyncMode;
  /**
   * Recurrent: an elapsed time (600s, 15m, 90m, 1h30m, 36h, 45d, 2w; default 5m) or a cron expression (five fields, @daily). A frequency a CronJob says at even intervals runs as a CronJob; any other is timed by the reconciler from the recorded last run
   */
  schedule?: string;
  tags?: TagSelector;
  prune?: TagPrune;
  /**
   * One os/arch[/variant] to copy instead of every platform (--all); skopeo copies one chosen platform, not a subset of an index.
   *
   * @maxItems 1
   */
  platforms?: string[];
  verify?: VerifyRule;
  registries?: RegistrySettings[];
}
export interface TagSelector {
  /**
   * 2.x.0, v2.13.x, 4.x.x; without a v it also selects v-prefixed tags (2.13.x selects v2.13.4), with a v only those
   */
  pattern?: string;
  /**
   * The pattern runs as image-operator's own regex (what an Image converts to): release candidates are -rc and one digit
   */
  syntax?: 'image-operator';
  /**
   * A semver range, e.g. >=1.2 <1.4
   */
  semver?: string;
  include?: string[];
  exclude?: string[];
  /**
   * @default false
   */
  releaseCandidates?: boolean;
  /**
   * Only the N newest of what matched: by version order (a number, or by: version), or by: created, the time each image was made (its config's created, read once per digest)
   */
  newest?: number | NewestRule;
  /**
   * Tags matching this regular expression (RE2, searched in the tag: anchor it, e.g. ^v?\d+\.\d+\.\d+$) never change once pushed: once copied with equal digests on both sides they are not checked again (no manifest request per sync; only the two tag lists)
   */
  immutable?: string;
  /**
   * Read at most this many tags of the source's tag list, in the registry's order (at most REGISTRY_MAX_TAGS, default 10000); a longer list is reported as truncated in status
   */
  maxTags?: number;
}
export interface NewestRule {
  count: number;
  /**
   * @default "version"
   */
  by?: 'version' | 'created';
}
/**
 * Delete from the destination the tags this manifest pushed once they leave the selection (pattern, newest, exclude, a changed source.tag) or the manifest leaves Git; never a tag it did not push. Behind the same guard as objects (MAX_PRUNE_SHARE, ALLOW_MASS_PRUNE). The destination registry must allow deletes
 */
export interface TagPrune {
  /**
   * Off by default: deleting images cannot be undone
   *
   * @default false
   */
  enabled?: boolean;
  /**
   * Destination tags matching this regular expression (RE2, searched in the tag: anchor it, e.g. ^v1\.) are never deleted
   */
  retain?: string;
}
/**
 * Copy only images whose source digest carries a cosign signature that verifies with this public key, as its sha256-<hex>.sig tag or as an OCI 1.1 referrer (checked by the reconciler before any Job is made; the copy then goes by that digest and its tag is pushed last). Offline: no transparency log, no keyless signatures
 */
export interface VerifyRule {
  publicKey: PublicKeySource;
}
/**
 * A key of a Secret (in the manifest's namespace, labelled image-gitops.io/usable-by-manifests) holding the PEM public key, as cosign generate-key-pair writes cosign.pub (ECDSA P-256; RSA and Ed25519 keys too)
 */
export interface PublicKeySource {
  secret: string;
  /**
   * @default "cosign.pub"
   */
  key?: string;
}
/**
 * How to reach one registry: credentials, TLS verification, CA. Secrets live in the manifest's namespace.
 */
export interface RegistrySettings {
  /**
   * Registry host[:port] (an https:// or http:// prefix is allowed); no spaces, quotes, ; or other characters
   */
  host: string;
  /**
   * A Secret of type kubernetes.io/dockerconfigjson, or with username and password keys
   */
  credentialsSecret?: string;
  /**
   * @default true
   */
  tlsVerify?: boolean;
  caSecret?: CaSource;
  caConfigMap?: CaSource;
  budget?: PullBudget;
  /**
   * Amazon ECR: credentials are an ECR authorization token (user AWS) obtained with the reconciler's AWS identity (IRSA web identity, or the AWS SDK's default chain) and renewed before it expires. Not with credentialsSecret.
   */
  awsEcr?: boolean;
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
