import type { Logger } from '../core/logger.js';
import { KINDS } from '../kinds/registry.js';
import type { ForeignPatch } from '../kinds/types.js';
import type { KubeApi } from '../kube/types.js';
import type { LoadedManifests } from '../manifests/types.js';
import type { Change } from '../plan/change.js';
import type { RenderedManifest } from './render-manifests.js';

/**
 * Changes to objects the engine does not own (KindDefinition.foreign, e.g. ImageBackup's workload rewrites)
 * as plan changes: shown by `diff`, applied by the writer after every owned change, reported per manifest.
 * A failing manifest wants nothing changed (its problems say why), so it changes nothing.
 */
export function foreignChanges(rendered: readonly RenderedManifest[]): Change[] {
  return rendered.flatMap((r) =>
    r.problems.length > 0 ? [] : (r.foreign ?? []).map((patch) => toChange(patch, r.manifest.key)),
  );
}

/**
 * The undo of what manifests no longer in Git left on foreign objects, once per kind that has any. A manifest
 * still in Git, valid or not, is present: an invalid one keeps what it did, as its owned objects are kept.
 */
export async function leftBehindChanges(
  kube: Pick<KubeApi, 'list'>,
  loaded: LoadedManifests,
  hadBefore: (kind: string) => boolean,
  log: Pick<Logger, 'warn'>,
): Promise<Change[]> {
  const changes: Change[] = [];
  for (const definition of KINDS) {
    if (!definition.foreign) continue;
    const present = new Set<string>([
      ...loaded.manifests.filter((m) => m.kind === definition.kind).map((m) => m.key),
      ...loaded.invalid.filter((i) => i.kind === definition.kind && i.key).map((i) => i.key!),
    ]);
    // Nothing of this kind now or before: nothing can be left behind, and no LIST is spent finding out.
    if (present.size === 0 && !hadBefore(definition.kind)) continue;
    try {
      const undo = await definition.foreign.planLeftBehind(present, (type, ns, selector) =>
        kube.list(type, ns, selector),
      );
      changes.push(...undo.map((patch) => toChange(patch, patch.manifestKey)));
    } catch (error) {
      // Not this sync's failure: what is left behind stays as it is and is looked for again next sync.
      log.warn('could not look for what removed manifests left behind', {
        kind: definition.kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return changes;
}

function toChange(patch: ForeignPatch, manifestKey: string): Change {
  return {
    action: 'update',
    object: patch.patch,
    manifestKey,
    reason: patch.reason,
    foreign: { fieldManager: patch.fieldManager },
  };
}
