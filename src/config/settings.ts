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
 * `registries` entries. This is where image-operator's global env settings land: CREDS_SOURCE_USERNAME/PASSWORD
 * become a username/password Secret named here for the source host, DISABLE_SRC_TLS_VERIFICATION=true becomes
 * `tlsVerify: false` (same for DEST). Read from SYNC_REGISTRIES (a JSON array).
 */
export interface RegistryDefaults {
  host: string;
  /** A dockerconfigjson or username/password Secret, in `secretNamespace` (default: the manifest's). */
  credentialsSecret?: string;
  secretNamespace?: string;
  tlsVerify?: boolean;
  caSecret?: { name: string; key?: string };
}

export interface Settings {
  /** Tells the objects of two reconcilers apart when they share a cluster. */
  instance: string;
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
  imageSync: {
    /** At most this many copy Jobs of one manifest exist at a time. */
    maxJobsPerManifest: number;
    /** Tags copied by one Job. */
    tagsPerJob: number;
    /** Per-registry access shared by every ImageSync. */
    registries: RegistryDefaults[];
  };
}

export const DEFAULT_SETTINGS: Settings = {
  instance: 'default',
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
  imageSync: { maxJobsPerManifest: 5, tagsPerJob: 10, registries: [] },
};

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
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
  return parsed as RegistryDefaults[];
}

export function settingsFromEnv(env: Record<string, string | undefined>): Settings {
  const d = DEFAULT_SETTINGS;
  return {
    instance: env.IMAGE_GITOPS_INSTANCE || d.instance,
    images: {
      skopeo: env.SKOPEO_IMAGE || d.images.skopeo,
      buildah: env.BUILDAH_IMAGE || d.images.buildah,
      registry: env.REGISTRY_IMAGE || d.images.registry,
      sleep: env.KIP_IMAGE || env.SLEEP_IMAGE || d.images.sleep,
      shell: env.SHELL_IMAGE || d.images.shell,
    },
    jobs: {
      backoffLimit: positiveInt(env, 'JOB_BACKOFF_LIMIT', d.jobs.backoffLimit),
      activeDeadlineSeconds: positiveInt(env, 'JOB_ACTIVE_DEADLINE_SECONDS', d.jobs.activeDeadlineSeconds),
      ttlSecondsAfterFinished: positiveInt(
        env,
        'JOB_TTL_SECONDS_AFTER_FINISHED',
        d.jobs.ttlSecondsAfterFinished,
      ),
      resources: d.jobs.resources,
    },
    imageSync: {
      maxJobsPerManifest: positiveInt(env, 'SYNC_MAX_JOBS_PER_MANIFEST', d.imageSync.maxJobsPerManifest),
      tagsPerJob: positiveInt(env, 'SYNC_TAGS_PER_JOB', d.imageSync.tagsPerJob),
      registries: registryDefaults(env.SYNC_REGISTRIES),
    },
  };
}
