import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { mirrorLabels, mirrorNames, mirrorSelector } from './names.js';
import {
  containerdCleanupScript,
  containerdNodeScript,
  hostsFileCleanupScript,
  hostsFileNodeScript,
} from './node-scripts.js';
import { TLS_DIR } from './registry-config.js';
import { CONFIG_HASH_ANNOTATION, commonPodFields } from './render-registry.js';
import type { ResolvedMirror } from './resolve.js';
import type { RegistryMirrorSpec } from './types.js';

const HOST_CERTS_MOUNT = '/host/certs.d';
const HOST_DOCKER_CERTS_MOUNT = '/host/docker-certs.d';
const HOST_HOSTS_MOUNT = '/host/etc/hosts';
/** Where Docker reads the CA of a registry host: `<dir>/<host>/*.crt` (mirror-operator wrote its tls.crt there). */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

export interface NodeConfigTarget {
  name: string;
  namespace: string;
  shellImage: string;
}

/** The address nodes reach the mirror at: an override, the pinned ClusterIP, or the Service link variable. */
function mirrorAddress(target: NodeConfigTarget, mirror: ResolvedMirror): string {
  // Kubernetes expands $(VAR) with the Service variables of the namespace when the container starts.
  return mirror.mirrorAddress ?? mirror.clusterIP ?? `$(${mirrorNames(target.name).serviceHostEnv})`;
}

interface NodeScripts {
  main: string;
  cleanup: string;
  env: Record<string, unknown>[];
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
}

function containerdScripts(target: NodeConfigTarget, mirror: ResolvedMirror): NodeScripts {
  const options = {
    certsDirName: mirror.upstream.certsDirName,
    serverUrl: mirror.upstream.serverUrl,
    mirrorScheme: mirror.tlsSecret ? ('https' as const) : ('http' as const),
    mirrorPort: mirror.servicePort,
    hostCertsDir: mirror.certsDir,
    ...(mirror.tlsSecret ? { caFileName: `registry-mirror-${target.name}-ca.crt` } : {}),
    marker: `# written by image-gitops for RegistryMirror ${target.namespace}/${target.name}; removed when its node-config pod stops`,
  };
  const env: Record<string, unknown>[] = [{ name: 'CERTS_DIR', value: HOST_CERTS_MOUNT }];
  const volumes: Record<string, unknown>[] = [
    { name: 'certs-d', hostPath: { path: mirror.certsDir, type: 'DirectoryOrCreate' } },
  ];
  const mounts: Record<string, unknown>[] = [{ name: 'certs-d', mountPath: HOST_CERTS_MOUNT }];
  if (mirror.tlsSecret) {
    env.push({ name: 'TLS_DIR', value: TLS_DIR });
    volumes.push({ name: 'tls', secret: { secretName: mirror.tlsSecret } });
    mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
  }
  return {
    main: containerdNodeScript(options),
    cleanup: containerdCleanupScript(options),
    env,
    volumes,
    mounts,
  };
}

/**
 * mirror-operator's hostess mode: the masquerade name in /etc/hosts, and the mirror's certificate where the
 * runtimes look for that name's CA: Docker's /etc/docker/certs.d/<name>/ and containerd's per-host folder
 * <CONTAINERD_CONFIG_PATH>/<name>/ (containerd reads `*.crt` there as CAs when the folder has no hosts.toml).
 */
function hostsScripts(target: NodeConfigTarget, mirror: ResolvedMirror): NodeScripts {
  const options = {
    masqueradeHost: mirror.masqueradeHost,
    marker: `image-gitops RegistryMirror ${target.namespace}/${target.name}`,
    ...(mirror.tlsSecret
      ? {
          caFileName: `image-gitops-${target.namespace}-${target.name}.crt`,
          caDirVars: ['DOCKER_CERTS_DIR', 'CERTS_DIR'],
        }
      : {}),
  };
  const env: Record<string, unknown>[] = [{ name: 'HOSTS_FILE', value: HOST_HOSTS_MOUNT }];
  const volumes: Record<string, unknown>[] = [
    { name: 'etc-hosts', hostPath: { path: '/etc/hosts', type: 'File' } },
  ];
  const mounts: Record<string, unknown>[] = [{ name: 'etc-hosts', mountPath: HOST_HOSTS_MOUNT }];
  if (mirror.tlsSecret) {
    env.push(
      { name: 'TLS_DIR', value: TLS_DIR },
      { name: 'DOCKER_CERTS_DIR', value: HOST_DOCKER_CERTS_MOUNT },
      { name: 'CERTS_DIR', value: HOST_CERTS_MOUNT },
    );
    volumes.push(
      { name: 'tls', secret: { secretName: mirror.tlsSecret } },
      { name: 'docker-certs-d', hostPath: { path: DOCKER_CERTS_DIR, type: 'DirectoryOrCreate' } },
      { name: 'certs-d', hostPath: { path: mirror.certsDir, type: 'DirectoryOrCreate' } },
    );
    mounts.push(
      { name: 'tls', mountPath: TLS_DIR, readOnly: true },
      { name: 'docker-certs-d', mountPath: HOST_DOCKER_CERTS_MOUNT },
      { name: 'certs-d', mountPath: HOST_CERTS_MOUNT },
    );
  }
  return {
    main: hostsFileNodeScript(options),
    cleanup: hostsFileCleanupScript(options),
    env,
    volumes,
    mounts,
  };
}

/**
 * The DaemonSet that points each selected node at the mirror (containerd hosts.toml, or an /etc/hosts line
 * in mirror-operator's hosts mode). Pruning it (the manifest was removed) stops its pods, whose TERM trap
 * and preStop hook remove what they wrote.
 */
export function renderNodeConfigDaemonSet(
  target: NodeConfigTarget,
  spec: RegistryMirrorSpec,
  mirror: ResolvedMirror,
): KubeObject | undefined {
  if (mirror.nodeConfig === 'none') return undefined;
  const scripts =
    mirror.nodeConfig === 'hosts' ? hostsScripts(target, mirror) : containerdScripts(target, mirror);
  const env = [{ name: 'MIRROR_ADDRESS', value: mirrorAddress(target, mirror) }, ...scripts.env];
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: mirrorNames(target.name).daemonSet,
      namespace: target.namespace,
      labels: { ...mirror.labels, ...mirrorLabels(target.name, 'node-config') },
    },
    spec: {
      selector: { matchLabels: mirrorSelector(target.name, 'node-config') },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: { ...mirror.podLabels, ...mirrorLabels(target.name, 'node-config') },
          annotations: { [CONFIG_HASH_ANNOTATION]: contentHash({ scripts, env }) },
        },
        spec: {
          ...commonPodFields(spec, mirror),
          ...(mirror.nodeSelector ? { nodeSelector: mirror.nodeSelector } : {}),
          ...(mirror.nodeTolerations ? { tolerations: mirror.nodeTolerations } : {}),
          // Service links give the mirror's ClusterIP as an environment variable.
          enableServiceLinks: true,
          terminationGracePeriodSeconds: 30,
          // Root, to write root-owned files on the host; nothing else: no capabilities, read-only image.
          securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'node-config',
              image: target.shellImage,
              command: ['sh', '-c', scripts.main],
              env,
              lifecycle: { preStop: { exec: { command: ['sh', '-c', scripts.cleanup] } } },
              volumeMounts: scripts.mounts,
              resources: { requests: { cpu: '1m', memory: '4Mi' }, limits: { memory: '32Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
          volumes: scripts.volumes,
        },
      },
    },
  };
}
