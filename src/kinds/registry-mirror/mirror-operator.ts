import type { RegistryMirrorSpec, VolumeClaimTemplate } from './types.js';

/**
 * mirror-operator's `k8s.osp.tech/v1 RegistryMirror`, accepted as written (schemas/
 * k8s.osp.tech-registrymirror.schema.json). What it configured per operator through environment variables
 * is a spec field of ours (see the RegistryMirror docs); the alias keeps mirror-operator's behaviour:
 * the /etc/hosts masquerade ("hostess", its default addressing scheme) and two registry replicas.
 */
export interface MirrorOperatorSpec {
  upstreamUrl: string;
  masqueradeUrl?: string;
  credentialsSecret?: string;
  volumeClaimTemplate?: VolumeClaimTemplate;
  priorityClass?: string;
}

export function convertMirrorOperator(document: Record<string, unknown>): RegistryMirrorSpec {
  const legacy = document.spec as MirrorOperatorSpec;
  const spec: RegistryMirrorSpec = {
    upstreamUrl: legacy.upstreamUrl,
    nodeConfig: 'hosts',
    replicas: 2,
  };
  if (legacy.masqueradeUrl) spec.masqueradeUrl = legacy.masqueradeUrl;
  // mirror-operator read the keys `username` and `password`: our defaults.
  if (legacy.credentialsSecret) spec.credentialsSecret = legacy.credentialsSecret;
  if (legacy.volumeClaimTemplate) spec.volumeClaimTemplate = legacy.volumeClaimTemplate;
  // mirror-operator defaulted to a `user-standard` class that a new cluster may not have: only when written.
  if (legacy.priorityClass) spec.priorityClassName = legacy.priorityClass;
  return spec;
}
