import type { ImagePrepullSpec } from './types.js';

/**
 * kubernetes-image-puller's configuration, accepted as `image-gitops.io/v1alpha1 KubernetesImagePuller`
 * with the puller's ConfigMap `data:` keys unchanged (schemas/image-gitops.io-kubernetesimagepuller.schema.json).
 *
 * Why not its own `v1 ConfigMap`: kinds are found by apiVersion and kind alone, so an alias for
 * `v1 ConfigMap` would claim every ConfigMap in the config repo, not only those with an IMAGES key, and
 * fail the others. Changing two lines (apiVersion, kind) of the existing ConfigMap is the safe price.
 *
 * Key by key: IMAGES -> images (same string), DAEMONSET_NAME -> daemonSetName (default
 * kubernetes-image-puller, as the puller), CACHING_{MEMORY,CPU}_{REQUEST,LIMIT} -> resources,
 * NODE_SELECTOR / AFFINITY / TOLERATIONS (JSON) and IMAGE_PULL_SECRETS (a;b) -> the same fields in their
 * string form, KIP_IMAGE -> sleepImage. CACHING_INTERVAL_HOURS is superseded by the reconciler's sync
 * interval (drift is repaired on every sync) and NAMESPACE by metadata.namespace: both are accepted and
 * ignored.
 */
export type KubernetesImagePullerData = Partial<Record<string, string>> & { IMAGES: string };

export const KIP_DEFAULT_DAEMONSET_NAME = 'kubernetes-image-puller';

function withoutBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function convertKubernetesImagePuller(document: Record<string, unknown>): ImagePrepullSpec {
  const data = document.data as KubernetesImagePullerData;
  const spec: ImagePrepullSpec = {
    images: data.IMAGES,
    daemonSetName: withoutBlank(data.DAEMONSET_NAME) ?? KIP_DEFAULT_DAEMONSET_NAME,
  };
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  const set = (target: Record<string, string>, key: string, value: string | undefined) => {
    const v = withoutBlank(value);
    if (v !== undefined) target[key] = v;
  };
  set(requests, 'memory', data.CACHING_MEMORY_REQUEST);
  set(requests, 'cpu', data.CACHING_CPU_REQUEST);
  set(limits, 'memory', data.CACHING_MEMORY_LIMIT);
  set(limits, 'cpu', data.CACHING_CPU_LIMIT);
  if (Object.keys(requests).length || Object.keys(limits).length) {
    spec.resources = {
      ...(Object.keys(requests).length ? { requests } : {}),
      ...(Object.keys(limits).length ? { limits } : {}),
    };
  }
  const nodeSelector = withoutBlank(data.NODE_SELECTOR);
  if (nodeSelector !== undefined) spec.nodeSelector = nodeSelector;
  const affinity = withoutBlank(data.AFFINITY);
  if (affinity !== undefined) spec.affinity = affinity;
  const tolerations = withoutBlank(data.TOLERATIONS);
  if (tolerations !== undefined) spec.tolerations = tolerations;
  const pullSecrets = withoutBlank(data.IMAGE_PULL_SECRETS);
  if (pullSecrets !== undefined) spec.imagePullSecrets = pullSecrets;
  const kipImage = withoutBlank(data.KIP_IMAGE);
  if (kipImage !== undefined) spec.sleepImage = kipImage;
  // The puller pulled every image with Always: keep that, so moving tags are refreshed on restarts.
  spec.imagePullPolicy = 'Always';
  return spec;
}
