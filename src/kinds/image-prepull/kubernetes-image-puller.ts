import type { ImagePrepullSpec } from './types.js';

/**
 * kubernetes-image-puller's configuration, accepted as `image-gitops.io/v1alpha1 KubernetesImagePuller`
 * with the puller's ConfigMap `data:` keys unchanged (schemas/image-gitops.io-kubernetesimagepuller.schema.json).
 *
 * Why not its own `v1 ConfigMap`: kinds are found by apiVersion and kind alone, so an alias for
 * `v1 ConfigMap` would claim every ConfigMap in the config repo, not only those with an IMAGES key, and
 * fail the others. Changing two lines (apiVersion, kind) of the existing ConfigMap is the safe price.
 *
 * Key by key, as the current puller reads them (its cfg/envvars.go): IMAGES -> images (same string),
 * DAEMONSET_NAME -> daemonSetName (default kubernetes-image-puller, as the puller), DAEMONSET_ANNOTATIONS ->
 * daemonSetAnnotations, NAMESPACE -> namespace (where the DaemonSet goes), CACHING_{MEMORY,CPU}_{REQUEST,LIMIT}
 * -> resources, NODE_SELECTOR / AFFINITY / TOLERATIONS (JSON) and IMAGE_PULL_SECRETS (a;b) -> the same
 * fields in their string form, KIP_IMAGE -> sleepImage, CACHING_INTERVAL_HOURS -> recreateUnhealthyAfter
 * (the puller checked its DaemonSet's health that often and re-created it when unhealthy).
 *
 * The puller reads its ConfigMap through `envFrom`, so any other key was simply never read: those keys are
 * listed in ignoredSettings (reported in the manifest's status), not refused.
 */
export type KubernetesImagePullerData = Partial<Record<string, string>> & { IMAGES: string };

export const KIP_DEFAULT_DAEMONSET_NAME = 'kubernetes-image-puller';

/** The keys of the puller's cfg/envvars.go. */
export const KIP_KEYS: readonly string[] = [
  'IMAGES',
  'DAEMONSET_NAME',
  'DAEMONSET_ANNOTATIONS',
  'NAMESPACE',
  'CACHING_INTERVAL_HOURS',
  'CACHING_MEMORY_REQUEST',
  'CACHING_MEMORY_LIMIT',
  'CACHING_CPU_REQUEST',
  'CACHING_CPU_LIMIT',
  'NODE_SELECTOR',
  'IMAGE_PULL_SECRETS',
  'AFFINITY',
  'KIP_IMAGE',
  'TOLERATIONS',
];

function withoutBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** CACHING_INTERVAL_HOURS as the puller read it: a whole number of hours, anything else 1 (its default). */
function cachingInterval(value: string | undefined): string {
  const text = value?.trim() ?? '';
  return /^[0-9]{1,6}$/.test(text) && Number(text) > 0 ? `${Number(text)}h` : '1h';
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
  const namespace = withoutBlank(data.NAMESPACE);
  if (namespace !== undefined) spec.namespace = namespace;
  const annotations = withoutBlank(data.DAEMONSET_ANNOTATIONS);
  if (annotations !== undefined) spec.daemonSetAnnotations = annotations;
  spec.recreateUnhealthyAfter = cachingInterval(data.CACHING_INTERVAL_HOURS);
  // The puller pulled every image with Always: keep that, so moving tags are refreshed on restarts.
  spec.imagePullPolicy = 'Always';
  const ignored = [
    ...Object.keys(data).filter((key) => !KIP_KEYS.includes(key)),
    ...('type' in document ? ['type'] : []),
  ].sort();
  if (ignored.length > 0) spec.ignoredSettings = ignored;
  return spec;
}
