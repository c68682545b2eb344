import type { KubeObject } from '../core/kube-object.js';
import { type Health, healthOf, specOf } from './common.js';

/** As gitops-engine's health_pvc.go: Bound is Healthy, Pending Progressing, Lost Degraded. */
export function persistentVolumeClaimHealth(pvc: KubeObject): Health {
  const phase = (pvc.status as { phase?: string } | undefined)?.phase;
  switch (phase) {
    case 'Bound':
      return healthOf('Healthy');
    case 'Pending':
      return healthOf('Progressing', 'claim pending: no volume bound yet');
    case 'Lost':
      return healthOf('Degraded', 'claim lost its volume');
    default:
      return healthOf('Unknown', phase ? `phase ${phase}` : undefined);
  }
}

/** As gitops-engine's health_service.go: a LoadBalancer is Progressing until it has an address. */
export function serviceHealth(service: KubeObject): Health {
  if (specOf<{ type?: string }>(service).type !== 'LoadBalancer') return healthOf('Healthy');
  const ingress = (service.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer
    ?.ingress;
  return ingress && ingress.length > 0
    ? healthOf('Healthy')
    : healthOf('Progressing', 'waiting for the load balancer address');
}
