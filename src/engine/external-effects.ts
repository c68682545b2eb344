import type { KubeObject } from '../core/kube-object.js';
import { KINDS, kindDefinition } from '../kinds/registry.js';
import type { ExternalEffectsContext } from '../kinds/types.js';
import type { KubeApi } from '../kube/types.js';
import type { LoadedManifests } from '../manifests/types.js';
import type { Logger } from '../run/logger.js';
import type { StoredState } from '../status/store.js';
import type { RenderedManifest } from './render-manifests.js';

/**
 * Kinds' effects on objects we do not own (ImageBackup's workload rewrite), after apply: for each valid
 * manifest, then once per kind to undo what removed manifests did. Problems land in the manifest's status.
 */
export async function runExternalEffects(
  kube: KubeApi,
  rendered: RenderedManifest[],
  loaded: LoadedManifests,
  previous: StoredState | undefined,
  log: Logger,
): Promise<void> {
  const context: ExternalEffectsContext = {
    apply: async (object: KubeObject, fieldManager: string) => {
      await kube.apply(object, { force: true, fieldManager });
    },
    listObjects: (type, ns, selector) => kube.list(type, ns, selector),
  };
  for (const r of rendered) {
    const external = kindDefinition(r.manifest.kind)?.external;
    if (!external || r.problems.length > 0) continue;
    const messages = await external
      .reconcile(r.manifest, r.observed, context)
      .catch((e: unknown) => [String(e)]);
    const location = { file: r.manifest.origin.file, line: r.manifest.origin.line };
    r.problems.push(...messages.map((message) => ({ code: 'KUBE_API' as const, message, location })));
  }
  for (const definition of KINDS) {
    if (!definition.external) continue;
    const present = new Set<string>([
      ...loaded.manifests.filter((m) => m.kind === definition.kind).map((m) => m.key),
      ...loaded.invalid.filter((i) => i.kind === definition.kind && i.key).map((i) => i.key!),
    ]);
    const hadAny = previous?.manifests.some((m) => m.kind === definition.kind);
    if (present.size === 0 && !hadAny) continue; // nothing of this kind now or before: nothing to undo
    const messages = await definition.external
      .undoRemoved(present, context)
      .catch((e: unknown) => [String(e)]);
    for (const message of messages)
      log.warn('undo of a removed manifest failed', { kind: definition.kind, error: message });
  }
}
