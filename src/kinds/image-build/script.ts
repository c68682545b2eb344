/**
 * The build's command lines, as pure data: the Job runs them as a shell script, and the e2e test runs the
 * very same script locally. File-system locations are environment variables (set in the Job's container,
 * overridden by the test), so the script text itself does not depend on where it runs.
 */
import type { Architecture } from './types.js';

/** Environment variables the scripts read. */
export const SCRIPT_ENV = {
  /** Folder the context archive is extracted into. */
  workspace: 'WORKSPACE',
  /** The context archive (the ConfigMap's key, mounted as a file). */
  contextArchive: 'CONTEXT_ARCHIVE',
  /** Where the pushed digest is written: the container's terminationMessagePath. */
  digestFile: 'DIGEST_FILE',
  /** The merged authfile (push and base-image pull credentials); buildah reads this variable too. */
  authFile: 'REGISTRY_AUTH_FILE',
} as const;

/** An argument: a literal, or an environment variable's value followed by a literal suffix. */
export type ScriptArg = string | { env: string; prefix?: string; suffix?: string };
export type CommandLine = ScriptArg[];

export interface BuildPlan {
  /** `host/repo:tag` */
  destination: string;
  /** Dockerfile relative to the workspace, e.g. `context/Dockerfile`. */
  dockerfile: string;
  /** Context folder relative to the workspace. */
  contextDir: string;
  architectures: readonly Architecture[];
  buildArgs: Readonly<Record<string, string>>;
  target?: string;
  /** Image labels; also written as OCI manifest annotations. */
  labels: Readonly<Record<string, string>>;
  /** TLS verification towards the push registry. */
  tlsVerify: boolean;
  /** Whether an authfile is mounted at $REGISTRY_AUTH_FILE. */
  withAuthFile: boolean;
  /** registries.conf relative to the workspace, when the archive carries one. */
  registriesConf?: string;
}

/** The local name of the image (or manifest list) between build and push. */
export const LOCAL_IMAGE = 'localhost/image-gitops-build:latest';

const STORAGE = '--storage-driver=vfs';

function sortedPairs(record: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.keys(record)
    .sort()
    .map((key) => [key, record[key] as string]);
}

function authFlags(plan: BuildPlan): CommandLine {
  return plan.withAuthFile ? ['--authfile', { env: SCRIPT_ENV.authFile }] : [];
}

/** `buildah bud` then `buildah push` (one architecture) or `buildah manifest push --all` (an image index). */
export function buildahCommands(plan: BuildPlan): CommandLine[] {
  const multiArch = plan.architectures.length > 1;
  const platforms = plan.architectures.map((arch) => `linux/${arch}`).join(',');
  const bud: CommandLine = [
    'buildah',
    STORAGE,
    'bud',
    '--isolation=chroot',
    '--format=oci',
    `--platform=${platforms}`,
  ];
  bud.push('--file', { env: SCRIPT_ENV.workspace, suffix: `/${plan.dockerfile}` });
  for (const [key, value] of sortedPairs(plan.buildArgs)) bud.push('--build-arg', `${key}=${value}`);
  if (plan.target) bud.push(`--target=${plan.target}`);
  for (const [key, value] of sortedPairs(plan.labels)) bud.push('--label', `${key}=${value}`);
  for (const [key, value] of sortedPairs(plan.labels)) bud.push('--annotation', `${key}=${value}`);
  // Pulls of base images follow registries.conf (`insecure` per host).
  bud.push(...authFlags(plan));
  bud.push(multiArch ? '--manifest' : '--tag', LOCAL_IMAGE);
  bud.push({ env: SCRIPT_ENV.workspace, suffix: `/${plan.contextDir}` });

  const push: CommandLine = multiArch
    ? ['buildah', STORAGE, 'manifest', 'push', '--all', '--format=oci']
    : ['buildah', STORAGE, 'push', '--format=oci'];
  if (!plan.tlsVerify) push.push('--tls-verify=false');
  push.push(...authFlags(plan), '--digestfile', { env: SCRIPT_ENV.digestFile });
  push.push(LOCAL_IMAGE, `docker://${plan.destination}`);
  // buildah 1.28's `manifest push` can exit 0 without pushing: an empty digest file fails the build.
  const check: CommandLine = ['test', '-s', { env: SCRIPT_ENV.digestFile }];
  const show: CommandLine = ['cat', { env: SCRIPT_ENV.digestFile }];
  const prelude: CommandLine[] = plan.registriesConf
    ? [
        [
          'export',
          {
            prefix: 'CONTAINERS_REGISTRIES_CONF=',
            env: SCRIPT_ENV.workspace,
            suffix: `/${plan.registriesConf}`,
          },
        ],
      ]
    : [];
  return [...prelude, bud, push, check, show];
}

/** The init step: lays the packed context out in the workspace (busybox or GNU tar). */
export function unpackCommands(): CommandLine[] {
  return [
    ['mkdir', '-p', { env: SCRIPT_ENV.workspace, suffix: '/context' }],
    ['tar', '-x', '-f', { env: SCRIPT_ENV.contextArchive }, '-C', { env: SCRIPT_ENV.workspace }],
  ];
}

function quoteLiteral(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function quoteArg(arg: ScriptArg): string {
  if (typeof arg === 'string') return quoteLiteral(arg);
  const prefix = arg.prefix ? quoteLiteral(arg.prefix) : '';
  return `${prefix}"$\{${arg.env}}"${arg.suffix ? quoteLiteral(arg.suffix) : ''}`;
}

/** A POSIX shell script running the command lines in order, stopping at the first failure. */
export function toShellScript(commands: readonly CommandLine[]): string {
  return ['set -eu', ...commands.map((command) => command.map(quoteArg).join(' '))].join('\n');
}

/** The build container's script. */
export function buildahScript(plan: BuildPlan): string {
  return toShellScript(buildahCommands(plan));
}

/** The init container's script. */
export function unpackScript(): string {
  return toShellScript(unpackCommands());
}
