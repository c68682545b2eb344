import type { ResourceSpec } from '../../config/settings.js';
import type { NodeConfigMode, RegistryMirrorSpec } from './types.js';
import { defaultMasqueradeUrl, parseUpstream, type Upstream } from './upstream.js';

export const DEFAULT_STORAGE_SIZE = '20Gi';
export const DEFAULT_CERTS_DIR = '/etc/containerd/certs.d';
export const DEFAULT_REGISTRY_RESOURCES: ResourceSpec = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '512Mi' },
};

/** A RegistryMirror spec with every default filled in: what render works from. */
export interface ResolvedMirror {
  upstream: Upstream;
  masqueradeHost: string;
  credentials?: { name: string; usernameKey: string; passwordKey: string };
  upstreamCaConfigMap?: string;
  replicas: number;
  volumeClaimSpec: Record<string, unknown>;
  resources: ResourceSpec;
  servicePort: number;
  clusterIP?: string;
  tlsSecret?: string;
  nodeConfig: NodeConfigMode;
  certsDir: string;
  mirrorAddress?: string;
  nodeSelector?: Record<string, string>;
  nodeTolerations?: Record<string, unknown>[];
}

/** Problems a JSON schema cannot express, with the field they are about. */
export function checkMirrorSpec(spec: RegistryMirrorSpec): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (!parseUpstream(spec.upstreamUrl)) {
    problems.push({
      field: '/spec/upstreamUrl',
      message: `"${spec.upstreamUrl}" is not a registry address: write a host name or IPv4 address with an optional port (1-65535), optionally after http:// or https://, without a path`,
    });
  }
  if (spec.nodes?.certsDir !== undefined) {
    problems.push({
      field: '/spec/nodes/certsDir',
      message:
        "the host folder the node DaemonSet writes is the cluster operator's choice, not the repo's: remove nodes.certsDir (the reconciler's CONTAINERD_CONFIG_PATH sets it, default /etc/containerd/certs.d)",
    });
  }
  if (spec.storage && spec.volumeClaimTemplate) {
    problems.push({
      field: '/spec/volumeClaimTemplate',
      message: 'give either storage or volumeClaimTemplate, not both',
    });
  }
  return problems;
}

function volumeClaimSpec(spec: RegistryMirrorSpec): Record<string, unknown> {
  if (spec.volumeClaimTemplate) {
    // mirror-operator's defaults for a partial template: ReadWriteOnce, 20Gi.
    const claim = { ...spec.volumeClaimTemplate.spec };
    if (!Array.isArray(claim.accessModes) || claim.accessModes.length === 0)
      claim.accessModes = ['ReadWriteOnce'];
    if (!claim.resources) claim.resources = { requests: { storage: DEFAULT_STORAGE_SIZE } };
    return claim;
  }
  const storage = spec.storage ?? {};
  return {
    accessModes: storage.accessModes ?? ['ReadWriteOnce'],
    ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
    resources: { requests: { storage: storage.size ?? DEFAULT_STORAGE_SIZE } },
  };
}

function credentials(spec: RegistryMirrorSpec): ResolvedMirror['credentials'] {
  const ref = spec.credentialsSecret;
  if (ref === undefined) return undefined;
  const secret = typeof ref === 'string' ? { name: ref } : ref;
  return {
    name: secret.name,
    usernameKey: secret.usernameKey ?? 'username',
    passwordKey: secret.passwordKey ?? 'password',
  };
}

/** Fills in defaults; throws only on an upstream that checkMirrorSpec already reports. */
export function resolveMirror(spec: RegistryMirrorSpec, certsDir = DEFAULT_CERTS_DIR): ResolvedMirror {
  const upstream = parseUpstream(spec.upstreamUrl);
  if (!upstream) throw new Error(checkMirrorSpec(spec)[0]?.message ?? 'invalid upstreamUrl');
  const nodeConfig = spec.nodeConfig ?? 'containerd';
  const tlsSecret = spec.tls?.secretName;
  const resolved: ResolvedMirror = {
    upstream,
    masqueradeHost: spec.masqueradeUrl ?? defaultMasqueradeUrl(spec.upstreamUrl),
    replicas: spec.replicas ?? 1,
    volumeClaimSpec: volumeClaimSpec(spec),
    resources: spec.resources ?? DEFAULT_REGISTRY_RESOURCES,
    // Hosts mode masquerades a registry name, which runtimes reach on 443 (as mirror-operator served it).
    servicePort: spec.service?.port ?? (tlsSecret || nodeConfig === 'hosts' ? 443 : 5000),
    nodeConfig,
    // containerd's config_path on the nodes: an operator setting (CONTAINERD_CONFIG_PATH), never the repo's.
    certsDir,
  };
  const creds = credentials(spec);
  if (creds) resolved.credentials = creds;
  if (spec.upstreamCaConfigMap) resolved.upstreamCaConfigMap = spec.upstreamCaConfigMap;
  if (spec.service?.clusterIP) resolved.clusterIP = spec.service.clusterIP;
  if (tlsSecret) resolved.tlsSecret = tlsSecret;
  if (spec.nodes?.mirrorAddress) resolved.mirrorAddress = spec.nodes.mirrorAddress;
  if (spec.nodes?.nodeSelector) resolved.nodeSelector = spec.nodes.nodeSelector;
  if (spec.nodes?.tolerations) resolved.nodeTolerations = spec.nodes.tolerations;
  return resolved;
}
