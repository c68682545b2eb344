import type { ResourceSpec } from '../../config/settings.js';
import type { RegistrySettings } from '../image-sync/spec.js';

export type Architecture = 'amd64' | 'arm64';

/** How to reach one registry, as ImageSync's `registries` (CA files are not supported for builds yet). */
export type BuildRegistrySettings = Pick<
  RegistrySettings,
  'host' | 'credentialsSecret' | 'tlsVerify' | 'awsEcr'
>;

/** The spec of an `image-gitops.io/v1alpha1 ImageBuild`, as schemas/image-build.schema.json allows it. */
export interface ImageBuildSpec {
  /** Repository to push to, without tag. */
  image: string;
  /** Default `{{commit}}`; `{{commit}}`/`{{shortCommit}}` stand for the commit the image is built from. */
  tag?: string;
  /** Folder of the config repo (from its root) holding the build context. */
  context?: { path: string };
  /** Path of the Dockerfile inside the context, default `Dockerfile`. */
  dockerfile?: string;
  /** The Dockerfile itself (image-operator's `source: |`). */
  inline?: string;
  architectures?: Architecture[];
  buildArgs?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  sourceUrl?: string;
  /** Cron expression or a duration (`30m`, `12h`, `1d`, `1w`). */
  schedule?: string;
  registries?: BuildRegistrySettings[];
  serviceAccountName?: string;
  resources?: ResourceSpec;
}

export const DEFAULT_TAG = '{{commit}}';
export const DEFAULT_DOCKERFILE = 'Dockerfile';
export const DEFAULT_ARCHITECTURES: Architecture[] = ['amd64'];
