import type { KubeObject } from '../core/kube-object.js';
import type { KubeApi } from '../kube/types.js';

/**
 * Where a plan's writes go. The pipeline is the same for `sync` and `diff`: only the writer differs, so a
 * diff shows exactly what a sync would do, the API server's refusals included (a server-side dry-run is
 * validated and admitted as a real write is, then not stored).
 */
export interface Writer {
  /** True when nothing is stored: the server answers what it would store. */
  readonly dryRun: boolean;
  /**
   * Server-side apply (forced); the answer is the object as the server stores it (or would). A foreign
   * change applies its partial object under its own field manager.
   */
  apply(object: KubeObject, options?: { fieldManager?: string }): Promise<KubeObject>;
  /** The answer is the object as deleted (its last version), when the server answered with it. */
  delete(object: KubeObject): Promise<KubeObject | undefined>;
  /** Reads, which both writers make for real (waiting for a replaced Job to go). */
  readonly kube: KubeApi;
}

export function clusterWriter(kube: KubeApi): Writer {
  return {
    dryRun: false,
    kube,
    apply: (object, options) => kube.apply(object, { force: true, ...options }),
    delete: (object) =>
      kube.delete(object, object.metadata.namespace, object.metadata.name, {
        propagationPolicy: 'Background',
      }),
  };
}

/** Every write a server-side dry-run (`dryRun=All`): validated and admitted, never stored. */
export function dryRunWriter(kube: KubeApi): Writer {
  return {
    dryRun: true,
    kube,
    apply: (object, options) => kube.apply(object, { force: true, ...options, dryRun: true }),
    delete: (object) =>
      kube.delete(object, object.metadata.namespace, object.metadata.name, {
        propagationPolicy: 'Background',
        dryRun: true,
      }),
  };
}
