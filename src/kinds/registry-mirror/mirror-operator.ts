import type { RegistryMirrorSpec, VolumeClaimTemplate } from './types.js';

/**
 * mirror-operator's `k8s.osp.tech/v1 RegistryMirror`, accepted as written (schemas/
 * k8s.osp.tech-registrymirror.schema.json). What it configured per operator through environment variables
 * is read from the reconciler's environment under the same names (config/mirror-operator-settings.ts) and
 * is also a spec field of ours. The alias keeps mirror-operator's behaviour: two registry replicas and, unless
 * ADDRESSING_SCHEME says otherwise, the /etc/hosts masquerade ("hostess") over TLS (render.ts).
 */
export interface MirrorOperatorSpec {
  upstreamUrl: string;
  masqueradeUrl?: string;
  credentialsSecret?: string;
  volumeClaimTemplate?: VolumeClaimTemplate;
  priorityClass?: string;
  /** Ours, accepted in mirror-operator's files: the TLS Secret of this mirror (DOCKER_CERTIFICATE_SECRET). */
  tls?: { secretName: string };
}

/** mirror-operator's files are recognised by their apiVersion: their addressing default is hostess. */
export const MIRROR_OPERATOR_API_VERSION = 'k8s.osp.tech/v1';

export function convertMirrorOperator(document: Record<string, unknown>): RegistryMirrorSpec {
  const legacy = document.spec as MirrorOperatorSpec;
  // No nodeConfig: ADDRESSING_SCHEME, else hostess, decides (render.ts), as it did for mirror-operator.
  const spec: RegistryMirrorSpec = { upstreamUrl: legacy.upstreamUrl, replicas: 2 };
  if (legacy.tls) spec.tls = { secretName: legacy.tls.secretName };
  if (legacy.masqueradeUrl) spec.masqueradeUrl = legacy.masqueradeUrl;
  // mirror-operator read the keys `username` and `password`: our defaults.
  if (legacy.credentialsSecret) spec.credentialsSecret = legacy.credentialsSecret;
  if (legacy.volumeClaimTemplate) spec.volumeClaimTemplate = legacy.volumeClaimTemplate;
  // mirror-operator defaulted to a `user-standard` class that a new cluster may not have: only when written.
  if (legacy.priorityClass) spec.priorityClassName = legacy.priorityClass;
  return spec;
}
