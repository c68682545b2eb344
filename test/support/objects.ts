// Typed reads of the few nested fields tests look at, instead of `any`.
import type { KubeObject } from '../../src/core/kube-object.js';

export interface ContainerView {
  name: string;
  image: string;
}

interface PodTemplateOwner {
  spec?: { template?: { spec?: { containers?: ContainerView[] } } };
}

export function containersOf(object: KubeObject | undefined): ContainerView[] {
  return (object as PodTemplateOwner | undefined)?.spec?.template?.spec?.containers ?? [];
}

export function imagesOf(object: KubeObject | undefined): string[] {
  return containersOf(object).map((c) => c.image);
}
