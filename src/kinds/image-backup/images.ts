/**
 * Which images of the observed workloads are backed up: each container's original image (the recorded one
 * while the container still runs our rewrite of it), canonical, minus those already in the backup registry.
 * Pure.
 */
import { formatImageReference } from '../../registry/references.js';
import { type BackupTarget, canonicalImage, isInBackupRegistry, rewrittenImage } from './naming.js';
import type { ContainerImage, WorkloadImages } from './workloads.js';

function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** The image the workload's owner gave this container, whether or not we rewrote it since. */
export function originalImage(workload: WorkloadImages, container: ContainerImage): string {
  const recorded = workload.originals[container.name];
  const record = workload.rewrittenBy;
  if (recorded && record && container.image === safely(() => rewrittenImage(record, recorded))) {
    return recorded;
  }
  return container.image;
}

/** `nginx` → `docker.io/library/nginx:latest`; undefined when the image cannot be read. */
export function canonicalRef(image: string): string | undefined {
  return safely(() => formatImageReference(canonicalImage(image)));
}

export interface ImagesToBackUp {
  /** Canonical references, sorted, each once. */
  sourceRefs: string[];
  /** Images written in a way that cannot be read as a reference (left alone). */
  unreadable: string[];
}

export function imagesToBackUp(
  workloads: readonly WorkloadImages[],
  target: string | BackupTarget,
): ImagesToBackUp {
  const refs = new Set<string>();
  const unreadable = new Set<string>();
  for (const workload of workloads) {
    if (!workload.selected) continue;
    for (const container of workload.containers) {
      const image = originalImage(workload, container);
      const ref = canonicalRef(image);
      if (!ref) unreadable.add(image);
      else if (!isInBackupRegistry(target, ref)) refs.add(ref);
    }
  }
  return { sourceRefs: [...refs].sort(), unreadable: [...unreadable].sort() };
}
