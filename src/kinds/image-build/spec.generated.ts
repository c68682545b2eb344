// Generated from schemas/image-build.schema.json by scripts/generate-types.ts: do not edit.
// Change the schema, then run `npm run generate:types`.

export type Architecture = 'amd64' | 'arm64';

/**
 * Builds an image with Buildah from a Dockerfile and build context in the config repo, and pushes it.
 */
export interface ImageBuildManifest {
  apiVersion: 'image-gitops.io/v1alpha1';
  kind: 'ImageBuild';
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
  spec: ImageBuildSpec;
}
export interface ImageBuildSpec {
  /**
   * Repository to push to, without tag, e.g. registry.example.com/team/app.
   */
  image: string;
  /**
   * Tag to push; {{commit}} and {{shortCommit}} (12 characters) stand for the commit the image is built from. Default {{commit}}.
   */
  tag?: string;
  context?: {
    /**
     * Folder of the config repo, from the repo root, holding the build context ('.' for the root).
     */
    path: string;
  };
  /**
   * Path of the Dockerfile inside the context folder. Default Dockerfile.
   */
  dockerfile?: string;
  /**
   * The Dockerfile itself, instead of a file of the context.
   */
  inline?: string;
  /**
   * Two architectures push one multi-arch image index under the tag.
   *
   * @minItems 1
   */
  architectures?: Architecture[];
  buildArgs?: {
    [k: string]: string;
  };
  target?: string;
  /**
   * Extra image labels, also written as manifest annotations.
   */
  labels?: {
    [k: string]: string;
  };
  /**
   * Recorded as org.opencontainers.image.source.
   */
  sourceUrl?: string;
  /**
   * Also rebuild periodically (to pick up patched base images): a cron expression (5 fields) or a duration a CronJob runs at even intervals: minutes dividing the hour, hours dividing the day, 1d, 1w (30m, 6h, 1d; 45m is refused).
   */
  schedule?: string;
  /**
   * How to reach registries (push destination and base images): credentials Secret (kubernetes.io/dockerconfigjson, or username/password keys) in the manifest's namespace, TLS verification. Same shape as ImageSync's registries.
   */
  registries?: BuildRegistrySettings[];
  /**
   * The ServiceAccount the build pods run as (its imagePullSecrets; workload identity such as AWS IRSA to the registry). Its API token is not mounted.
   */
  serviceAccountName?: string;
  resources?: BuildResources;
}
/**
 * How to reach one registry, as ImageSync's registries (CA files are not supported for builds yet).
 */
export interface BuildRegistrySettings {
  /**
   * Registry host[:port] (an https:// or http:// prefix is allowed); no spaces, quotes, ; or other characters
   */
  host: string;
  credentialsSecret?: string;
  tlsVerify?: boolean;
  /**
   * Amazon ECR: credentials are an ECR authorization token obtained with the reconciler's AWS identity (IRSA), as ImageSync's registries[].awsEcr. Not with credentialsSecret.
   */
  awsEcr?: boolean;
  budget?: BuildPullBudget;
}
/**
 * The pull budget of this registry and the credential used, shared with ImageSync's (same key): a new build Job is charged the manifest GETs of its base images (each FROM, per architecture) from this registry, and waits for a later sync when they are not left (status says until when)
 */
export interface BuildPullBudget {
  /**
   * Manifest GETs allowed per window, e.g. 180 of Docker Hub's 200 for an account
   */
  pulls: number;
  /**
   * The window, a duration: 6h, 1h30m, 1d
   */
  per: string;
}
/**
 * Requests and limits of the build container (quantities as strings or numbers).
 */
export interface BuildResources {
  requests?: {
    [k: string]: string | number;
  };
  limits?: {
    [k: string]: string | number;
  };
}
