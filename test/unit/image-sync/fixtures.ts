// Plain data shared by the ImageSync unit tests: a manifest, a render context, pending copies.
import { DEFAULT_SETTINGS, type Settings } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import type { ImageSyncObserved, PendingCopy } from '../../../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import type { RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

export function syncManifest(spec: ImageSyncSpec, name = 'argocd'): Manifest<ImageSyncSpec> {
  return {
    key: `ImageSync/${name}`,
    kind: 'ImageSync',
    name,
    spec,
    origin: {
      file: 'image-sync/argocd.yaml',
      line: 1,
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImageSync',
    },
  };
}

export function observed(
  pending: PendingCopy[],
  files: ImageSyncObserved['files'] = { cas: {} },
): ImageSyncObserved {
  return { matched: pending.length, upToDate: 0, pending, missing: [], files, message: '' };
}

export function context(
  obs: ImageSyncObserved,
  options: { live?: KubeObject[]; settings?: Partial<Settings['imageSync']> } = {},
): RenderContext<ImageSyncObserved> {
  return {
    namespace: 'images',
    settings: { ...DEFAULT_SETTINGS, imageSync: { ...DEFAULT_SETTINGS.imageSync, ...options.settings } },
    commit: { sha: 'abc', author: 'a', date: '2026-01-01T00:00:00Z', message: 'm' },
    live: options.live ?? [],
    observed: obs,
  };
}

export function pendingTags(count: number): PendingCopy[] {
  return Array.from({ length: count }, (_, i) => ({
    sourceRef: `v1.${Math.floor(i / 100)}.${i % 100}`,
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
  }));
}
