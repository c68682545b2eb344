// The engine against the node cluster: the Reconciler as the CLI wires it, its git server on the host end of
// the node's link, and the rendered objects pointed at the bench's own images (built here, pushed to the
// node's image registry), so that what it creates runs as pods.
import { type ImageName, pushImages } from '../../images/images.js';
import { type EngineHarness, startEngine } from '../engine-harness.js';
import { type NodeCluster, nodeCluster } from './node-cluster.js';

const pushed = new Map<string, Promise<Record<ImageName, string>>>();

/** The bench's images in the node's image registry (pushed once per cluster), by name. */
export function benchImages(cluster: NodeCluster, names?: ImageName[]): Promise<Record<ImageName, string>> {
  const key = `${cluster.imageRegistry.host}|${(names ?? []).join(',')}`;
  let images = pushed.get(key);
  if (!images) {
    images = pushImages(cluster.imageRegistry.host, names);
    pushed.set(key, images);
  }
  return images;
}

/** Settings that point every rendered object at the bench's images. */
export function benchImageSettings(images: Record<ImageName, string>): Record<string, string> {
  return {
    SKOPEO_IMAGE: images.skopeo,
    BUILDAH_IMAGE: images.buildah,
    REGISTRY_IMAGE: images.registry,
    SLEEP_IMAGE: images.busybox,
    SHELL_IMAGE: images.busybox,
  };
}

export interface NodeEngine {
  cluster: NodeCluster;
  engine: EngineHarness;
  images: Record<ImageName, string>;
}

export async function startNodeEngine(
  files: Record<string, string>,
  env: Record<string, string> = {},
): Promise<NodeEngine> {
  const cluster = await nodeCluster();
  const images = await benchImages(cluster, ['busybox', 'skopeo', 'buildah', 'registry']);
  const engine = await startEngine(
    files,
    { ...benchImageSettings(images), ...env },
    { cluster: cluster.controlPlane, gitAddress: cluster.network.hostAddress },
  );
  return { cluster, engine, images };
}
