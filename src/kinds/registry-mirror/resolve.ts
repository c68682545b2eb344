import type { MirrorOperatorSettings } from '../../config/mirror-operator-settings.js';
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
  /** The registry pods' tolerations: the manifest's, else the operator's SS_DS_TOLERATIONS. */
  tolerations?: Record<string, unknown>[];
  /** The node pods' tolerations: those of the registry pods (as mirror-operator gave both) plus nodes.tolerations. */
  nodeTolerations?: Record<string, unknown>[];
  /** Labels of the StatefulSet and DaemonSet, and of their pods: the operator's, then the manifest's. */
  labels: Record<string, string>;
  podLabels: Record<string, string>;
  imagePullSecrets: string[];
}

/** What resolve takes besides the spec: the operator's settings, never the repo's. */
export interface MirrorDefaults {
  /** containerd's config_path on the nodes (CONTAINERD_CONFIG_PATH). */
  certsDir?: string;
  /** mirror-operator's operator-wide settings (config/mirror-operator-settings.ts). */
  operator?: MirrorOperatorSettings;
  /** The addressing when neither the manifest nor ADDRESSING_SCHEME gives one. */
  nodeConfig?: NodeConfigMode;
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

function uniqueTolerations(lists: Array<Record<string, unknown>[] | undefined>): Record<string, unknown>[] {
  const seen = new Set<string>();
  return lists
    .flatMap((l) => l ?? [])
    .filter((t) => {
      const key = JSON.stringify(t);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * Fills in defaults: the manifest's fields first, then the operator's settings (mirror-operator's
 * environment), then ours. Throws only on an upstream that checkMirrorSpec already reports.
 */
export function resolveMirror(spec: RegistryMirrorSpec, defaults: MirrorDefaults = {}): ResolvedMirror {
  const upstream = parseUpstream(spec.upstreamUrl);
  if (!upstream) throw new Error(checkMirrorSpec(spec)[0]?.message ?? 'invalid upstreamUrl');
  const operator = defaults.operator ?? {};
  const certsDir = defaults.certsDir ?? DEFAULT_CERTS_DIR;
  const nodeConfig = spec.nodeConfig ?? operator.nodeConfig ?? defaults.nodeConfig ?? 'containerd';
  const tlsSecret = spec.tls?.secretName ?? operator.tlsSecretName;
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
    labels: { ...operator.labels, ...spec.labels },
    podLabels: { ...operator.podLabels, ...spec.podLabels },
    imagePullSecrets: spec.imagePullSecrets ?? operator.imagePullSecrets ?? [],
  };
  const creds = credentials(spec);
  if (creds) resolved.credentials = creds;
  const ca = spec.upstreamCaConfigMap ?? operator.upstreamCaConfigMap;
  if (ca) resolved.upstreamCaConfigMap = ca;
  if (spec.service?.clusterIP) resolved.clusterIP = spec.service.clusterIP;
  if (tlsSecret) resolved.tlsSecret = tlsSecret;
  if (spec.nodes?.mirrorAddress) resolved.mirrorAddress = spec.nodes.mirrorAddress;
  if (spec.nodes?.nodeSelector) resolved.nodeSelector = spec.nodes.nodeSelector;
  const tolerations = spec.tolerations ?? operator.tolerations;
  if (tolerations) resolved.tolerations = tolerations;
  const nodeTolerations = uniqueTolerations([tolerations, spec.nodes?.tolerations]);
  if (nodeTolerations.length) resolved.nodeTolerations = nodeTolerations;
  return resolved;
}
