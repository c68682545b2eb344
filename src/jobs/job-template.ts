/**
 * The secure Job / CronJob skeleton shared by the kinds that run tools in pods (ImageSync's skopeo,
 * ImageBuild's buildah, ImageBackup). Pure builders; the engine adds ownership labels itself.
 *
 * API:
 * - `renderSecureJob(input)` → batch/v1 Job; `renderSecureCronJob({ ...input, schedule })` → batch/v1 CronJob
 *   (concurrencyPolicy Forbid, one job of history each).
 * - `secureJobSpec(input)` → the Job spec both use: restartPolicy Never, backoffLimit, activeDeadlineSeconds,
 *   ttlSecondsAfterFinished and resources from `Settings.jobs` (overridable per input), no service account
 *   token, pod and container hardened: non-root (uid/gid 1000 by default), readOnlyRootFilesystem (on by
 *   default), allowPrivilegeEscalation false, capabilities drop ALL, seccomp RuntimeDefault.
 * - Writable space: an emptyDir at `/tmp`, with HOME and TMPDIR pointing at it (skopeo and buildah write their
 *   caches and big temporary files there); `writableDirs` adds more emptyDirs.
 * - Credentials: `authSecretName` mounts that Secret read-only at `JOB_PATHS.authDir` (key `auth.json`, see
 *   registry/credentials.ts), so tools read `--authfile JOB_PATHS.authFile`: never secrets in args or env.
 * - `files`: more read-only Secret/ConfigMap mounts (CA certificates, build contexts).
 * - `shellScript(argvs)` / `shellQuote(arg)`: a container command made of plain argv lines, run by
 *   `/bin/sh -ec`, that tests can take from the rendered Job and run locally.
 */
import type { JobDefaults, ResourceSpec } from '../config/settings.js';
import type { KubeObject } from '../core/kube-object.js';

export const JOB_PATHS = {
  authDir: '/etc/image-gitops/auth',
  authFile: '/etc/image-gitops/auth/auth.json',
  certsRoot: '/etc/image-gitops/certs',
  tmp: '/tmp',
} as const;

export const JOB_UID = 1000;

export interface EnvVar {
  name: string;
  /** Plain, non-secret values only: env shows in `kubectl describe`. */
  value: string;
}

/** A read-only file mount from a Secret or a ConfigMap. */
export interface FileMount {
  /** Volume name (DNS label). */
  name: string;
  mountPath: string;
  secretName?: string;
  configMapName?: string;
  /** key → path under mountPath; all keys when absent. */
  items?: Array<{ key: string; path: string }>;
}

export interface SecureJobInput {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  image: string;
  command: string[];
  containerName?: string;
  env?: EnvVar[];
  defaults: JobDefaults;
  resources?: ResourceSpec;
  /** Secret with an `auth.json` key, mounted read-only at JOB_PATHS.authDir. */
  authSecretName?: string;
  /** Which keys of the auth Secret go where under authDir (e.g. CA files in sub-folders); all when absent. */
  authSecretItems?: Array<{ key: string; path: string }>;
  files?: FileMount[];
  /** Extra writable emptyDir mount paths (besides /tmp). */
  writableDirs?: string[];
  /** Default true. */
  readOnlyRootFilesystem?: boolean;
  /** Default 1000. */
  runAsUser?: number;
}

export interface SecureCronJobInput extends SecureJobInput {
  schedule: string;
  timeZone?: string;
  /** On the job template, so on each Job the CronJob creates (the pulls of one run, jobs/cron-runs.ts). */
  templateAnnotations?: Record<string, string>;
}

const SAFE_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for POSIX sh (single quotes; a quote inside becomes '\''). */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE_ARG.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One line per argv, shell-quoted; run with `/bin/sh -ec` so that the first failure fails the Job. */
export function shellScript(argvs: readonly (readonly string[])[]): string {
  return `${argvs.map((argv) => argv.map(shellQuote).join(' ')).join('\n')}\n`;
}

function volumeName(index: number, prefix: string): string {
  return `${prefix}-${index}`;
}

export function secureJobSpec(input: SecureJobInput): Record<string, unknown> {
  const uid = input.runAsUser ?? JOB_UID;
  const volumes: Record<string, unknown>[] = [{ name: 'tmp', emptyDir: {} }];
  const mounts: Record<string, unknown>[] = [{ name: 'tmp', mountPath: JOB_PATHS.tmp }];
  (input.writableDirs ?? []).forEach((dir, i) => {
    volumes.push({ name: volumeName(i, 'work'), emptyDir: {} });
    mounts.push({ name: volumeName(i, 'work'), mountPath: dir });
  });
  if (input.authSecretName) {
    const items = input.authSecretItems ? { items: input.authSecretItems } : {};
    volumes.push({
      name: 'authfile',
      secret: { secretName: input.authSecretName, defaultMode: 0o440, ...items },
    });
    mounts.push({ name: 'authfile', mountPath: JOB_PATHS.authDir, readOnly: true });
  }
  for (const file of input.files ?? []) {
    const items = file.items ? { items: file.items } : {};
    volumes.push(
      file.secretName
        ? { name: file.name, secret: { secretName: file.secretName, defaultMode: 0o440, ...items } }
        : { name: file.name, configMap: { name: file.configMapName, defaultMode: 0o444, ...items } },
    );
    mounts.push({ name: file.name, mountPath: file.mountPath, readOnly: true });
  }
  const env: EnvVar[] = [
    { name: 'HOME', value: JOB_PATHS.tmp },
    { name: 'TMPDIR', value: JOB_PATHS.tmp },
    ...(input.env ?? []),
  ];
  return {
    backoffLimit: input.defaults.backoffLimit,
    activeDeadlineSeconds: input.defaults.activeDeadlineSeconds,
    ttlSecondsAfterFinished: input.defaults.ttlSecondsAfterFinished,
    template: {
      metadata: input.labels ? { labels: input.labels } : {},
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: uid,
          runAsGroup: uid,
          fsGroup: uid,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: input.containerName ?? 'main',
            image: input.image,
            command: input.command,
            env,
            resources: input.resources ?? input.defaults.resources,
            // A tool that fails without a message of its own leaves its log's tail for status (job-failures.ts).
            terminationMessagePolicy: 'FallbackToLogsOnError',
            volumeMounts: mounts,
            securityContext: {
              runAsNonRoot: true,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: input.readOnlyRootFilesystem ?? true,
              capabilities: { drop: ['ALL'] },
              seccompProfile: { type: 'RuntimeDefault' },
            },
          },
        ],
        volumes,
      },
    },
  };
}

function metadata(input: SecureJobInput): KubeObject['metadata'] {
  return {
    name: input.name,
    namespace: input.namespace,
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.annotations ? { annotations: input.annotations } : {}),
  };
}

export function renderSecureJob(input: SecureJobInput): KubeObject {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: metadata(input), spec: secureJobSpec(input) };
}

export function renderSecureCronJob(input: SecureCronJobInput): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: metadata(input),
    spec: {
      schedule: input.schedule,
      ...(input.timeZone ? { timeZone: input.timeZone } : {}),
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: {
          ...(input.labels ? { labels: input.labels } : {}),
          ...(input.templateAnnotations && Object.keys(input.templateAnnotations).length > 0
            ? { annotations: input.templateAnnotations }
            : {}),
        },
        spec: secureJobSpec(input),
      },
    },
  };
}

/** The container command of a rendered Job or CronJob (for tests and status). */
export function jobCommand(object: KubeObject): string[] | undefined {
  const spec = object.spec as Record<string, unknown> | undefined;
  const jobSpec = (object.kind === 'CronJob' ? (spec?.jobTemplate as Record<string, unknown>)?.spec : spec) as
    | { template?: { spec?: { containers?: Array<{ command?: string[] }> } } }
    | undefined;
  return jobSpec?.template?.spec?.containers?.[0]?.command;
}
