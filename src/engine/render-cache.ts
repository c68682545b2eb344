/**
 * What each manifest rendered last sync, reused while nothing its render reads has changed: the manifest
 * (its fingerprint: identity, spec, file), the settings, its namespace, its live objects (uid and
 * resourceVersion: any write by anyone changes it, so drift is seen), what its observe step returned, and,
 * for kinds whose render reads the commit or the repo's files, the commit. Render is a pure function of these,
 * so a reuse gives what a new render would: a sync where one file changed stamps and hashes only that file's
 * objects. Observe still runs every sync (it is how a new tag or an unhealthy DaemonSet is seen).
 */
import { CarriedOver } from '../core/carried-over.js';
import { contentHash } from '../core/hash.js';
import type { KubeObject } from '../core/kube-object.js';
import { manifestFingerprint } from '../manifests/fingerprint.js';
import type { Manifest } from '../manifests/types.js';
import type { RenderedManifest } from './render-manifests.js';

export interface RenderInputs {
  manifest: Manifest;
  namespace: string;
  /** A hash of the settings, made once per sync (settingsKey). */
  settingsKey: string;
  live: readonly KubeObject[];
  observed: unknown;
  /** Set for kinds whose render reads the commit or the repo's files. */
  commit?: string;
}

export function settingsKey(settings: unknown): string {
  return contentHash(settings, 16);
}

/** One string that changes whenever an input of the render does. */
export function renderKey(inputs: RenderInputs): string {
  const live = inputs.live
    .map((o) => `${o.metadata.uid ?? ''}@${o.metadata.resourceVersion ?? ''}`)
    .sort()
    .join(',');
  return contentHash(
    [
      manifestFingerprint(inputs.manifest),
      inputs.manifest.key,
      inputs.namespace,
      inputs.settingsKey,
      live,
      inputs.observed ?? null,
      inputs.commit ?? '',
    ],
    24,
  );
}

/**
 * The renders of the last sync, by manifest key. Only clean renders are kept (a failed one is tried again),
 * and only the manifests rendered this sync stay: one that left Git leaves the cache.
 */
export class RenderCache {
  private readonly renders = new CarriedOver<{ key: string; rendered: RenderedManifest }>();
  hits = 0;

  get(manifestKey: string, key: string): RenderedManifest | undefined {
    const entry = this.renders.take(manifestKey, (e) => e.key === key);
    if (entry) this.hits++;
    return entry?.rendered;
  }

  set(manifestKey: string, key: string, rendered: RenderedManifest): void {
    if (rendered.problems.length === 0) this.renders.keep(manifestKey, { key, rendered });
  }

  /** Forgets every render: the next sync renders everything afresh (a full pass). */
  clear(): void {
    this.renders.clear();
  }

  /** Called once a sync's renders are all in: what was not rendered this time is dropped. */
  settle(): void {
    this.renders.settle();
    this.hits = 0;
  }
}
