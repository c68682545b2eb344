import type { Settings } from '../config/settings.js';
import { mapBounded } from '../core/concurrency.js';
import { type Problem, problemFromError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS } from '../core/labels.js';
import { kindDefinition } from '../kinds/registry.js';
import type { CommitInfo, ObserveContext } from '../kinds/types.js';
import type { Manifest } from '../manifests/types.js';
import { manifestId, stampObject } from '../render/stamp.js';

export interface RenderedManifest {
  manifest: Manifest;
  objects: KubeObject[];
  problems: Problem[];
  /** Kind-specific facts from observe, for status (e.g. tags pending). */
  details?: Record<string, unknown>;
  /** What observe found, for the kind's external effects after apply. */
  observed?: unknown;
}

export interface RenderInput {
  manifests: Manifest[];
  live: KubeObject[];
  commit: CommitInfo;
  namespace: string;
  settings: Settings;
  files: ReadonlyMap<string, Uint8Array>;
  /** What observe may read, for a manifest's namespace and its live objects. */
  observeContext(namespace: string, live: KubeObject[]): ObserveContext;
  concurrency?: number;
}

function detailsOf(observed: unknown): Record<string, unknown> | undefined {
  if (!observed || typeof observed !== 'object') return undefined;
  const message = (observed as { message?: unknown }).message;
  return typeof message === 'string' ? { observed: message } : undefined;
}

/**
 * Observe (I/O, e.g. registry digests) then render (pure) each manifest; a failure is that manifest's
 * problem only, and its live objects are then kept as they are.
 */
export async function renderManifests(input: RenderInput): Promise<RenderedManifest[]> {
  const liveByManifest = new Map<string, KubeObject[]>();
  for (const object of input.live) {
    const id = object.metadata.labels?.[LABELS.manifestId] ?? '';
    liveByManifest.set(id, [...(liveByManifest.get(id) ?? []), object]);
  }
  return mapBounded(input.manifests, input.concurrency ?? 4, async (manifest) => {
    const definition = kindDefinition(manifest.kind);
    if (!definition) {
      return {
        manifest,
        objects: [],
        problems: [{ code: 'UNKNOWN_KIND', message: `no kind ${manifest.kind}` }],
      };
    }
    const live = liveByManifest.get(manifestId(manifest.key)) ?? [];
    const namespace = manifest.namespace ?? input.namespace;
    const location = { file: manifest.origin.file, line: manifest.origin.line };
    let observed: unknown;
    try {
      observed = definition.observe
        ? await definition.observe(manifest, input.observeContext(namespace, live))
        : undefined;
    } catch (error) {
      return { manifest, objects: [], problems: [problemFromError(error, 'OBSERVE_FAILED', location)] };
    }
    try {
      const objects = definition.render(manifest, {
        namespace,
        settings: input.settings,
        commit: input.commit,
        live,
        observed,
        files: input.files,
      });
      const stamped = objects.map((o) => stampObject(o, manifest, input.settings.instance, input.commit));
      return { manifest, objects: stamped, problems: [], details: detailsOf(observed), observed };
    } catch (error) {
      return {
        manifest,
        objects: [],
        problems: [problemFromError(error, 'RENDER_FAILED', location)],
        details: detailsOf(observed),
      };
    }
  });
}
