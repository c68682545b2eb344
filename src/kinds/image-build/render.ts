/**
 * ImageBuild's pure render: the packed context (an immutable ConfigMap named by its content), the merged
 * authfile Secret, the build Job (named by a hash of everything it runs, so a changed Dockerfile, context,
 * argument or setting gives a new Job and unchanged content never a second one), and a CronJob when the
 * image is also rebuilt on a schedule.
 *
 * The commit recorded in the image (revision label, `{{commit}}` tag) is the one the Job was first rendered
 * at: read back from the live Job of the same name, so that later commits with the same content leave the
 * (immutable) Job as it is. The finished Job is kept (no TTL) as the record that this content was built.
 */
import { ImageGitopsError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { nameWithHash, toDnsName } from '../../core/labels.js';
import { scheduleToCron } from '../../core/schedule.js';
import { readRunPulls, runPullsAnnotation } from '../../jobs/cron-runs.js';
import {
  JOB_PATHS,
  renderSecureCronJob,
  renderSecureJob,
  type SecureJobInput,
} from '../../jobs/job-template.js';
import type { Manifest } from '../../manifests/types.js';
import { renderAuthFileSecret } from '../../registry/credentials.js';
import { formatImageReference, parseImageReference } from '../../registry/references.js';
import type { RenderContext } from '../types.js';
import { CONTEXT_ARCHIVE_KEY, CONTEXT_DIR, type PackedContext, packContext } from './context.js';
import type { ImageBuildObserved } from './observe.js';
import { insecureHosts, registriesConf, resolveBuildRegistry } from './registries.js';
import { type BuildPlan, buildahScript, SCRIPT_ENV, unpackScript } from './script.js';
import { BUILD_SECURITY, hardenBuildPod } from './security.js';
import { DEFAULT_ARCHITECTURES, DEFAULT_TAG, type ImageBuildSpec } from './types.js';

export const BUILD_ANNOTATIONS = {
  /** The commit the Job builds (revision label, `{{commit}}` tag). */
  commit: 'image-gitops.io/build-commit',
  /** The image reference the Job pushes. */
  image: 'image-gitops.io/build-image',
} as const;

/** Bound on the packed context: ConfigMaps cap at 1 MiB, and the API server and etcd carry every byte. */
export const MAX_CONTEXT_BYTES = 512 * 1024;
export const REGISTRIES_CONF = 'registries.conf';
export const BUILD_PATHS = {
  workspace: '/workspace',
  archiveDir: '/etc/image-gitops/context',
  /** The container's terminationMessagePath: the engine reads the pushed digest from the Pod status. */
  digestFile: '/dev/termination-log',
} as const;
export const BUILD_CONTAINER = 'build';
export const UNPACK_CONTAINER = 'unpack-context';

/** vfs copies every layer: builds need more memory and disk than the defaults of copy Jobs. */
export const DEFAULT_BUILD_RESOURCES = {
  requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '2Gi' },
  limits: { memory: '4Gi' },
};

const COMMIT_PLACEHOLDER = '{{build-commit}}';

/** `{{commit}}` / `{{shortCommit}}` in the tag template. */
export function resolveTag(template: string, commit: string): string {
  return template.replace(/\{\{commit\}\}/g, commit).replace(/\{\{shortCommit\}\}/g, commit.slice(0, 12));
}

function stringResources(resources: ImageBuildSpec['resources']): SecureJobInput['resources'] {
  if (!resources) return DEFAULT_BUILD_RESOURCES;
  const strings = (record: Record<string, string | number> | undefined) =>
    record ? Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)])) : undefined;
  const requests = strings(resources.requests as Record<string, string | number> | undefined);
  const limits = strings(resources.limits as Record<string, string | number> | undefined);
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

interface BuildParts {
  manifest: Manifest<ImageBuildSpec>;
  context: RenderContext<ImageBuildObserved>;
  namespace: string;
  packed: PackedContext;
  configMapName: string;
  authSecretName?: string;
}

/** The plan of the build script for a given commit (a placeholder when computing the Job's name). */
export function buildPlan(
  spec: ImageBuildSpec,
  parts: Omit<BuildParts, 'manifest'>,
  commit: string,
): BuildPlan {
  const reference = parseImageReference(spec.image);
  const tag = resolveTag(spec.tag ?? DEFAULT_TAG, commit);
  const labels: Record<string, string> = {
    ...(spec.labels ?? {}),
    'org.opencontainers.image.revision': commit,
  };
  if (spec.sourceUrl) labels['org.opencontainers.image.source'] = spec.sourceUrl;
  const push = resolveBuildRegistry(reference.registry, spec, parts.context.settings, parts.namespace);
  const plan: BuildPlan = {
    destination: formatImageReference({
      registry: reference.registry,
      repository: reference.repository,
      tag,
    }),
    dockerfile: parts.packed.dockerfile,
    contextDir: CONTEXT_DIR,
    architectures: spec.architectures ?? DEFAULT_ARCHITECTURES,
    buildArgs: spec.buildArgs ?? {},
    labels,
    tlsVerify: push.tlsVerify,
    withAuthFile: parts.authSecretName !== undefined,
  };
  if (spec.target) plan.target = spec.target;
  if (parts.packed.workspaceFiles.includes(REGISTRIES_CONF)) plan.registriesConf = REGISTRIES_CONF;
  return plan;
}

function jobInput(parts: BuildParts, name: string, commit: string): SecureJobInput {
  const { manifest, context } = parts;
  const plan = buildPlan(manifest.spec, parts, commit);
  const env = [
    { name: SCRIPT_ENV.workspace, value: BUILD_PATHS.workspace },
    { name: SCRIPT_ENV.digestFile, value: BUILD_PATHS.digestFile },
    { name: 'BUILDAH_ISOLATION', value: 'chroot' },
    ...(parts.authSecretName ? [{ name: SCRIPT_ENV.authFile, value: JOB_PATHS.authFile }] : []),
  ];
  const input: SecureJobInput = {
    name,
    namespace: parts.namespace,
    annotations: { [BUILD_ANNOTATIONS.commit]: commit, [BUILD_ANNOTATIONS.image]: plan.destination },
    image: context.settings.images.buildah,
    containerName: BUILD_CONTAINER,
    command: ['/bin/sh', '-ec', buildahScript(plan)],
    env,
    defaults: context.settings.jobs,
    resources: stringResources(manifest.spec.resources),
    files: [
      {
        name: 'context-archive',
        mountPath: BUILD_PATHS.archiveDir,
        configMapName: parts.configMapName,
        items: [{ key: CONTEXT_ARCHIVE_KEY, path: CONTEXT_ARCHIVE_KEY }],
      },
    ],
    writableDirs: [BUILD_PATHS.workspace, ...BUILD_SECURITY.writableDirs],
    runAsUser: 0,
  };
  if (parts.authSecretName) input.authSecretName = parts.authSecretName;
  return input;
}

/** The Job spec with the build pod's security (root without privilege) and the unpack init step. */
function buildJobSpec(parts: BuildParts, jobSpec: unknown): void {
  const serviceAccountName = parts.manifest.spec.serviceAccountName;
  hardenBuildPod(jobSpec as Record<string, unknown>, {
    containerName: BUILD_CONTAINER,
    privileged: parts.context.settings.imageBuild?.privileged === true,
    ...(serviceAccountName ? { serviceAccountName } : {}),
    unpack: {
      name: UNPACK_CONTAINER,
      image: parts.context.settings.images.shell,
      command: ['/bin/sh', '-ec', unpackScript()],
      env: [
        { name: SCRIPT_ENV.workspace, value: BUILD_PATHS.workspace },
        { name: SCRIPT_ENV.contextArchive, value: `${BUILD_PATHS.archiveDir}/${CONTEXT_ARCHIVE_KEY}` },
      ],
      mountPaths: [BUILD_PATHS.workspace, BUILD_PATHS.archiveDir],
    },
  });
}

/** The commit a live Job of this name builds, when it exists. */
export function liveBuildCommit(live: readonly KubeObject[], jobName: string): string | undefined {
  const job = live.find((o) => o.kind === 'Job' && o.metadata.name === jobName);
  return job?.metadata.annotations?.[BUILD_ANNOTATIONS.commit];
}

function renderContextConfigMap(parts: Omit<BuildParts, 'configMapName'>, name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: parts.namespace },
    immutable: true,
    binaryData: { [CONTEXT_ARCHIVE_KEY]: parts.packed.archive.toString('base64') },
  };
}

function packOrThrow(
  manifest: Manifest<ImageBuildSpec>,
  context: RenderContext<ImageBuildObserved>,
  namespace: string,
) {
  const insecure = insecureHosts(manifest.spec, context.settings, namespace);
  const workspaceFiles: Record<string, string> = {};
  if (insecure.length > 0) workspaceFiles[REGISTRIES_CONF] = registriesConf(insecure);
  const location = { file: manifest.origin.file, line: manifest.origin.line };
  const result = packContext(
    manifest.spec,
    context.files ?? new Map(),
    MAX_CONTEXT_BYTES,
    location,
    workspaceFiles,
  );
  if (!result.ok)
    throw new ImageGitopsError(result.problem.code, result.problem.message, result.problem.location);
  return result.context;
}

/** What naming the build Job reads: the observe step names it too, to know whether a build is new. */
export type BuildNaming = Pick<RenderContext<ImageBuildObserved>, 'settings' | 'files' | 'namespace'> & {
  observed?: Pick<ImageBuildObserved, 'authFile'>;
};

function buildParts(manifest: Manifest<ImageBuildSpec>, context: BuildNaming): BuildParts {
  const namespace = manifest.namespace ?? context.namespace;
  const packed = packOrThrow(manifest, context as RenderContext<ImageBuildObserved>, namespace);
  const configMapName = nameWithHash(`${manifest.name}-context`, packed.digest.slice(0, 10));
  const parts: BuildParts = {
    manifest,
    context: context as RenderContext<ImageBuildObserved>,
    namespace,
    packed,
    configMapName,
  };
  if (context.observed?.authFile) parts.authSecretName = toDnsName(`${manifest.name}-build-auth`);
  return parts;
}

/** The name hashes the Job as it would run, with the commit left out. */
function jobNameOf(parts: BuildParts): string {
  const probe = renderSecureJob(jobInput(parts, 'probe', COMMIT_PLACEHOLDER));
  buildJobSpec(parts, probe.spec);
  return nameWithHash(`${parts.manifest.name}-build`, contentHash(probe.spec));
}

/** The build Job's name for this content (what render names it). */
export function buildJobName(manifest: Manifest<ImageBuildSpec>, context: BuildNaming): string {
  return jobNameOf(buildParts(manifest, context));
}

export function renderImageBuild(
  manifest: Manifest<ImageBuildSpec>,
  context: RenderContext<ImageBuildObserved>,
): KubeObject[] {
  const parts = buildParts(manifest, context);
  const { namespace, configMapName } = parts;
  const objects: KubeObject[] = [renderContextConfigMap(parts, configMapName)];
  if (context.observed?.authFile && parts.authSecretName) {
    objects.push(
      renderAuthFileSecret({ name: parts.authSecretName, namespace, authFile: context.observed.authFile }),
    );
  }

  const jobName = jobNameOf(parts);
  const commit = liveBuildCommit(context.live, jobName) ?? context.commit.sha;
  const job = renderSecureJob(jobInput(parts, jobName, commit));
  buildJobSpec(parts, job.spec);
  // Kept once finished: its presence is what stops a rebuild of the same content.
  delete (job.spec as Record<string, unknown>).ttlSecondsAfterFinished;
  // Its base pulls, charged to their budgets when it is created (engine/pull-budgets.ts); a live Job keeps
  // what it was charged, so that a later sync rewrites nothing.
  const live = context.live.find((o) => o.kind === 'Job' && o.metadata.name === jobName);
  const pulls = live ? readRunPulls(live.metadata.annotations) : (context.observed?.basePulls ?? []);
  job.metadata.annotations = { ...job.metadata.annotations, ...runPullsAnnotation(pulls) };
  // A new build its base pulls do not fit waits for a later sync (pull-budget.ts); a live one stays.
  if (live || !context.observed?.budgetDeferred) objects.push(job);

  if (manifest.spec.schedule) {
    const schedule = scheduleToCron(manifest.spec.schedule);
    if (!schedule) {
      throw new ImageGitopsError(
        'INVALID_SPEC',
        `schedule "${manifest.spec.schedule}" is neither cron nor a duration`,
        {
          file: manifest.origin.file,
          field: '/spec/schedule',
        },
      );
    }
    // CronJob names leave 11 characters for the Jobs it creates.
    const cron = renderSecureCronJob({
      ...jobInput(parts, toDnsName(`${manifest.name}-rebuild`, 52), commit),
      schedule,
    });
    buildJobSpec(parts, (cron.spec as { jobTemplate: { spec: unknown } }).jobTemplate.spec);
    objects.push(cron);
  }
  return objects;
}
