import { parseDuration } from '../core/duration.js';
import { type MirrorOperatorSettings, mirrorOperatorSettings } from './mirror-operator-settings.js';
import { setting } from './settings-schema.js';

/**
 * Reconciler-wide settings that shape rendered objects (images, Job defaults, bounds). Read from the
 * environment by `settingsFromEnv`, a pure function of the env record so that it is easy to test.
 */
export interface ResourceSpec {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface JobDefaults {
  backoffLimit: number;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  resources: ResourceSpec;
}

/**
 * Reconciler-wide access settings for one registry, applied to every ImageSync under the manifest's own
 * `registries` entries. Read from SYNC_REGISTRIES (a JSON array). (image-operator's CREDS_* and
 * DISABLE_*_TLS_VERIFICATION are read as they are: ImageOperatorSide below.)
 */
export interface RegistryDefaults {
  host: string;
  /** A dockerconfigjson or username/password Secret, in `secretNamespace` (default: the manifest's). */
  credentialsSecret?: string;
  secretNamespace?: string;
  tlsVerify?: boolean;
  caSecret?: { name: string; key?: string };
  /** A pull budget for this registry and credential, shared by every manifest (registry/pull-budget.ts). */
  budget?: RegistryBudget;
}

/** `budget: {pulls: 180, per: 6h}`: at most `pulls` manifest GETs in any `per` (the one duration grammar). */
export interface RegistryBudget {
  pulls: number;
  per: string;
  /** Platforms assumed in an index copied whole (`--all`); default 2. */
  platformsPerIndex?: number;
}

/**
 * Which Secrets a manifest may name (credentials, CAs, pull and TLS Secrets): only those labelled
 * `image-gitops.io/usable-by-manifests: "true"`, in an allowed namespace, and never the reconciler's own.
 */
export interface ManifestSecretPolicy {
  /** Namespaces whose labelled Secrets manifests may use; undefined: any namespace (MANIFEST_SECRET_NAMESPACES). */
  namespaces?: string[];
  /** The reconciler's own Secrets (git credentials, webhook): refused even when labelled (RECONCILER_SECRETS). */
  reserved: Array<{ namespace: string; name: string }>;
}

/**
 * image-operator's global settings for the two sides of its `Image` copies, taken as it reads them:
 * CREDS_SOURCE_USERNAME/PASSWORD and CREDS_DESTINATION_USERNAME/PASSWORD (used when both are set),
 * DISABLE_SRC_TLS_VERIFICATION / DISABLE_DEST_TLS_VERIFICATION (`true` disables). They apply to the source and
 * destination of every `skopeo.io/v1alpha1 Image` manifest (not to native ImageSyncs, which name their
 * registries), under the manifest's own and SYNC_REGISTRIES entries. CREDS_SOURCE_HOSTS /
 * CREDS_DESTINATION_HOSTS (ours, comma-separated) restrict the credentials to those hosts.
 */
export interface ImageOperatorSide {
  credential?: { username: string; password: string };
  /** Only these normalised hosts receive the credential; any host when absent (image-operator's way). */
  credentialHosts?: string[];
  /** false when DISABLE_*_TLS_VERIFICATION=true. */
  tlsVerify?: false;
}

export interface Settings {
  /** Tells the objects of two reconcilers apart when they share a cluster. */
  instance: string;
  manifestSecrets: ManifestSecretPolicy;
  /** RegistryMirror: containerd's config_path on the nodes, set by the operator only (CONTAINERD_CONFIG_PATH). */
  containerdConfigPath: string;
  images: {
    skopeo: string;
    buildah: string;
    registry: string;
    /** Image holding a static `sleep` binary, copied into prepull pods (kubernetes-image-puller's KIP_IMAGE). */
    sleep: string;
    /** Small image with a shell, for node configuration DaemonSets. */
    shell: string;
  };
  jobs: JobDefaults;
  /**
   * Per-registry access (SYNC_REGISTRIES) under every manifest's own `registries` entries: ImageSync's,
   * ImageBackup's and ImageBuild's alike.
   */
  registries: RegistryDefaults[];
  imageSync: {
    /** At most this many copy Jobs of one manifest exist at a time (ImageBackup's too). */
    maxJobsPerManifest: number;
    /** Tags copied by one Job. */
    tagsPerJob: number;
    /** image-operator's CREDS_* and DISABLE_*_TLS_VERIFICATION, for `Image` manifests. */
    imageOperator?: { source: ImageOperatorSide; destination: ImageOperatorSide };
  };
  // --- RegistryMirror: mirror-operator's operator-wide settings (config/mirror-operator-settings.ts) ---
  registryMirror?: MirrorOperatorSettings;
  // --- end RegistryMirror ---
  imageBuild?: {
    /**
     * BUILDAH_PRIVILEGED_CONTAINER=true: the build container runs privileged, for clusters whose nodes do not
     * allow user namespaces (see kinds/image-build/security.ts). Off by default.
     */
    privileged: boolean;
  };
}

/** The reconciler's own Secrets as deploy/ names them, in its namespace. */
export const DEFAULT_RECONCILER_SECRETS = ['image-gitops-git-credentials', 'image-gitops-webhook'];
export const DEFAULT_CONTAINERD_CONFIG_PATH = '/etc/containerd/certs.d';

export const DEFAULT_SETTINGS: Settings = {
  instance: 'default',
  manifestSecrets: {
    reserved: DEFAULT_RECONCILER_SECRETS.map((name) => ({ namespace: 'image-gitops', name })),
  },
  containerdConfigPath: DEFAULT_CONTAINERD_CONFIG_PATH,
  images: {
    skopeo: 'quay.io/skopeo/stable:v1.16.1',
    buildah: 'quay.io/buildah/stable:v1.37.3',
    registry: 'docker.io/library/registry:2.8.3',
    sleep: 'quay.io/eclipse/kubernetes-image-puller:next',
    shell: 'docker.io/library/busybox:1.36',
  },
  jobs: {
    backoffLimit: 3,
    activeDeadlineSeconds: 3600,
    // An hour: a failed copy holds its tags until its Job is gone, so this is also the retry delay.
    ttlSecondsAfterFinished: 3600,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  },
  registries: [],
  imageSync: {
    maxJobsPerManifest: 5,
    tagsPerJob: 10,
    imageOperator: { source: {}, destination: {} },
  },
  imageBuild: { privileged: false },
};

/** image-operator's defaults for SKOPEO_VERSION / BUILDAH_VERSION. */
export const DEFAULT_TOOL_VERSIONS = { skopeo: 'v1.16.1', buildah: 'v1.37.3' } as const;

/** Does the reference carry a tag or digest (`host:5000/repo` has neither)? */
function hasTagOrDigest(reference: string): boolean {
  return reference.includes('@') || (reference.split('/').pop() ?? '').includes(':');
}

/**
 * A tool image as image-operator reads it: `<X_IMAGE>:<X_VERSION>`, with image-operator's default version when
 * X_IMAGE names a repository only. X_IMAGE may also be a whole reference (ours), then without X_VERSION.
 */
function toolImage(
  env: Record<string, string | undefined>,
  tool: 'SKOPEO' | 'BUILDAH',
  fallback: string,
): string {
  const image = env[`${tool}_IMAGE`];
  // An image tag, as the schema's pattern checks.
  const version = setting(env, `${tool}_VERSION`);
  const defaultVersion = DEFAULT_TOOL_VERSIONS[tool === 'SKOPEO' ? 'skopeo' : 'buildah'];
  if (!image && !version) return fallback;
  if (!image) return `${fallback.slice(0, fallback.lastIndexOf(':'))}:${version}`;
  if (hasTagOrDigest(image)) {
    if (version)
      throw new Error(
        `${tool}_IMAGE "${image}" already has a tag or digest: give ${tool}_VERSION or a tag, not both`,
      );
    return image;
  }
  return `${image}:${version || defaultVersion}`;
}

function flag(env: Record<string, string | undefined>, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new Error(`${name} must be "true" or "false", got "${env[name]}"`);
}

function imageOperatorSide(
  env: Record<string, string | undefined>,
  creds: 'SOURCE' | 'DESTINATION',
  tls: 'SRC' | 'DEST',
): ImageOperatorSide {
  const side: ImageOperatorSide = {};
  const username = env[`CREDS_${creds}_USERNAME`];
  const password = env[`CREDS_${creds}_PASSWORD`];
  // image-operator uses them only when both are set.
  if (username && password) side.credential = { username, password };
  const hosts = list(env[`CREDS_${creds}_HOSTS`]);
  if (hosts.length > 0) side.credentialHosts = hosts.map((h) => h.toLowerCase());
  if (flag(env, `DISABLE_${tls}_TLS_VERIFICATION`)) side.tlsVerify = false;
  return side;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function secretPolicy(env: Record<string, string | undefined>): ManifestSecretPolicy {
  const home = env.NAMESPACE || env.POD_NAMESPACE || 'image-gitops';
  const namespaces = list(env.MANIFEST_SECRET_NAMESPACES);
  for (const ns of namespaces)
    if (!DNS_LABEL.test(ns)) throw new Error(`MANIFEST_SECRET_NAMESPACES: "${ns}" is not a namespace name`);
  const names =
    env.RECONCILER_SECRETS === undefined ? DEFAULT_RECONCILER_SECRETS : list(env.RECONCILER_SECRETS);
  const reserved = names.map((entry) => {
    const [first, second] = entry.split('/');
    const ref =
      second === undefined ? { namespace: home, name: first! } : { namespace: first!, name: second };
    if (!DNS_LABEL.test(ref.namespace) || !DNS_SUBDOMAIN.test(ref.name) || entry.split('/').length > 2)
      throw new Error(`RECONCILER_SECRETS: "${entry}" is not a Secret name or namespace/name`);
    return ref;
  });
  return namespaces.length > 0 ? { namespaces, reserved } : { reserved };
}

function containerdConfigPath(raw: string | undefined): string {
  if (!raw) return DEFAULT_CONTAINERD_CONFIG_PATH;
  const normal = raw.replace(/\/+$/, '');
  if (!/^\/[A-Za-z0-9._/-]+$/.test(normal) || normal.split('/').some((s) => s === '..' || s === '.'))
    throw new Error(`CONTAINERD_CONFIG_PATH must be an absolute folder without "." or "..", got "${raw}"`);
  return normal;
}

function registryDefaults(raw: string | undefined): RegistryDefaults[] {
  if (!raw) return [];
  const parsed: unknown = JSON.parse(raw);
  if (
    !Array.isArray(parsed) ||
    !parsed.every((r) => r && typeof r === 'object' && typeof r.host === 'string')
  ) {
    throw new Error('SYNC_REGISTRIES must be a JSON array of objects with a "host"');
  }
  for (const entry of parsed as RegistryDefaults[]) checkBudget(entry);
  return parsed as RegistryDefaults[];
}

/** A `budget` of a SYNC_REGISTRIES entry, as the manifests' schemas check theirs. */
function checkBudget(entry: RegistryDefaults): void {
  const budget = entry.budget as Partial<RegistryBudget> | undefined;
  if (budget === undefined) return;
  const whole = (n: unknown, max = Number.MAX_SAFE_INTEGER) =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;
  if (
    typeof budget !== 'object' ||
    !whole(budget.pulls) ||
    typeof budget.per !== 'string' ||
    (parseDuration(budget.per) ?? 0) < 1000 ||
    (budget.platformsPerIndex !== undefined && !whole(budget.platformsPerIndex, 64)) ||
    Object.keys(budget).some((k) => !['pulls', 'per', 'platformsPerIndex'].includes(k))
  )
    throw new Error(
      `SYNC_REGISTRIES: the budget of ${entry.host} must be {"pulls": <whole number ≥ 1>, "per": "<duration of 1s or more, e.g. 6h>"} (and optionally "platformsPerIndex": 1 to 64)`,
    );
}

export function settingsFromEnv(env: Record<string, string | undefined>): Settings {
  const d = DEFAULT_SETTINGS;
  return {
    instance: setting(env, 'IMAGE_GITOPS_INSTANCE'),
    manifestSecrets: secretPolicy(env),
    containerdConfigPath: containerdConfigPath(env.CONTAINERD_CONFIG_PATH),
    images: {
      skopeo: toolImage(env, 'SKOPEO', d.images.skopeo),
      buildah: toolImage(env, 'BUILDAH', d.images.buildah),
      registry: setting(env, 'REGISTRY_IMAGE'),
      sleep: env.KIP_IMAGE || env.SLEEP_IMAGE || d.images.sleep,
      shell: setting(env, 'SHELL_IMAGE'),
    },
    jobs: {
      // Bounds and defaults from schemas/settings.schema.json (at least 1 where 0 would mean "never").
      backoffLimit: setting(env, 'JOB_BACKOFF_LIMIT'),
      activeDeadlineSeconds: setting(env, 'JOB_ACTIVE_DEADLINE_SECONDS'),
      ttlSecondsAfterFinished: setting(env, 'JOB_TTL_SECONDS_AFTER_FINISHED'),
      resources: d.jobs.resources,
    },
    registries: registryDefaults(env.SYNC_REGISTRIES),
    imageSync: {
      maxJobsPerManifest: setting(env, 'SYNC_MAX_JOBS_PER_MANIFEST'),
      tagsPerJob: setting(env, 'SYNC_TAGS_PER_JOB'),
      imageOperator: {
        source: imageOperatorSide(env, 'SOURCE', 'SRC'),
        destination: imageOperatorSide(env, 'DESTINATION', 'DEST'),
      },
    },
    imageBuild: { privileged: flag(env, 'BUILDAH_PRIVILEGED_CONTAINER') },
    // --- RegistryMirror: mirror-operator's operator-wide settings ---
    registryMirror: mirrorOperatorSettings(env),
    // --- end RegistryMirror ---
  };
}
