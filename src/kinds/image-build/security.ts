/**
 * How the build pod runs buildah without a privileged container, and the unpack init step.
 *
 * What the cluster must allow (for the README):
 * - The build container runs as root (uid 0) but is not privileged: `allowPrivilegeEscalation: false`, all
 *   capabilities dropped except CHOWN, DAC_OVERRIDE, FOWNER, FSETID, SETUID, SETGID and SETFCAP (all within
 *   Docker's and containerd's default set, so Pod Security "baseline" allows them). SETUID, SETGID and SETFCAP
 *   are needed for any RUN step (buildah's chroot isolation maps ids in a user namespace); the other four let
 *   buildah unpack and copy base-image layers whose files belong to other users or keep setuid bits.
 *   Checked on a host with `setpriv --bounding-set` and `--no-new-privs`: with only SETUID/SETGID/SETFCAP a
 *   FROM+COPY+RUN build pushes; without any one of them RUN fails.
 * - seccomp and AppArmor `Unconfined` for that container: the runtimes' default seccomp profiles refuse
 *   `unshare` and `mount` without CAP_SYS_ADMIN (CRI-O's allows them). A Localhost seccomp profile that allows
 *   unshare(CLONE_NEWUSER|CLONE_NEWNS) and mount works too. Pod Security "baseline" forbids Unconfined:
 *   label the build namespace `pod-security.kubernetes.io/enforce: privileged` (no privileged container is
 *   created; it is only the seccomp field), or use a Localhost profile.
 * - The node kernel must allow user namespaces (`user.max_user_namespaces` > 0; on Ubuntu 23.10+ also
 *   `kernel.apparmor_restrict_unprivileged_userns=0`, or the AppArmor Unconfined profile above).
 * - Storage driver vfs in emptyDirs (/var/lib/containers, /run/containers, /var/tmp, /workspace): plan
 *   ephemeral storage of a few times the image size; the root file system stays read-only.
 * - Two architectures: RUN steps of the other architecture need qemu-user-static registered in binfmt_misc
 *   on the node (COPY-only Dockerfiles need nothing).
 * - The unpack init step runs as uid 1000, non-root, no capabilities, RuntimeDefault seccomp.
 *
 * The privileged fallback (BUILDAH_PRIVILEGED_CONTAINER=true, image-operator's setting of the same name): for
 * clusters whose nodes refuse user namespaces (`user.max_user_namespaces=0`, or an AppArmor policy that cannot
 * be relaxed), where the unprivileged build above cannot run RUN steps. The build container is then
 * `privileged: true` (all capabilities, no seccomp or AppArmor confinement, host devices), still root in its
 * own file system and still chroot isolation. The namespace needs Pod Security `privileged`. Use it only where
 * the builds are trusted as much as the node: a privileged container can take the node over.
 */
import type { EnvVar } from '../../jobs/job-template.js';

export const BUILD_SECURITY = {
  capabilities: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETFCAP', 'SETGID', 'SETUID'],
  /** Writable emptyDirs besides /tmp: buildah's storage (root and run root) and big temporary files. */
  writableDirs: ['/var/lib/containers', '/run/containers', '/var/tmp'],
} as const;

/** The build container under BUILDAH_PRIVILEGED_CONTAINER=true (see above). */
export const PRIVILEGED_BUILD = {
  runAsUser: 0,
  runAsGroup: 0,
  runAsNonRoot: false,
  privileged: true,
  // The API server refuses privileged with allowPrivilegeEscalation false.
  allowPrivilegeEscalation: true,
  readOnlyRootFilesystem: true,
} as const;

export interface UnpackStep {
  name: string;
  image: string;
  command: string[];
  env: EnvVar[];
  /** Mount paths of the build container shared with the init step (workspace, archive). */
  mountPaths: string[];
}

interface Container {
  name: string;
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  [key: string]: unknown;
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  [key: string]: unknown;
}

/** Gives the job-template's pod (a Job spec) the build container's security and the unpack init container. */
export function hardenBuildPod(
  jobSpec: Record<string, unknown>,
  options: { containerName: string; unpack: UnpackStep; privileged?: boolean; serviceAccountName?: string },
): void {
  const pod = (jobSpec.template as { spec: PodSpec }).spec;
  const build = pod.containers.find((c) => c.name === options.containerName);
  if (!build) throw new Error(`no container ${options.containerName} in the Job template`);
  // The pod runs as this account (its imagePullSecrets, and workload identity such as IRSA, which projects
  // its own token); the Kubernetes API token stays unmounted (automountServiceAccountToken: false).
  if (options.serviceAccountName) pod.serviceAccountName = options.serviceAccountName;
  build.securityContext = options.privileged
    ? { ...PRIVILEGED_BUILD }
    : {
        runAsUser: 0,
        runAsGroup: 0,
        runAsNonRoot: false,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: [...BUILD_SECURITY.capabilities] },
        seccompProfile: { type: 'Unconfined' },
        appArmorProfile: { type: 'Unconfined' },
      };
  build.terminationMessagePolicy = 'FallbackToLogsOnError';

  const mounts = (build.volumeMounts ?? []).filter((m) => options.unpack.mountPaths.includes(m.mountPath));
  pod.initContainers = [
    {
      name: options.unpack.name,
      image: options.unpack.image,
      command: options.unpack.command,
      env: options.unpack.env,
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
      volumeMounts: mounts,
      securityContext: {
        runAsUser: 1000,
        runAsGroup: 1000,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    },
  ];
}
