// One round of a kind as the engine runs it for a manifest: observe (with the given context), then the pure
// render, at a fixed test commit. `newJobs` are the rendered Jobs not already among the live objects.

import type { CommitInfo } from '../../src/core/commit.js';
import type { KubeObject } from '../../src/core/kube-object.js';
import type { KindDefinition, ObserveContext } from '../../src/kinds/types.js';
import type { Manifest } from '../../src/manifests/types.js';

export const TEST_COMMIT: CommitInfo = {
  sha: 'c0ffee',
  author: 'test',
  date: '2026-01-01T00:00:00Z',
  message: 'test',
};

export async function kindRound<Spec, Observed>(
  kind: Pick<KindDefinition<Spec, Observed>, 'observe' | 'render'>,
  manifest: Manifest<Spec>,
  context: ObserveContext,
): Promise<{ observed: Observed; objects: KubeObject[]; newJobs: KubeObject[] }> {
  const observed = (await kind.observe?.(manifest, context)) as Observed;
  const objects = kind.render(manifest, {
    namespace: context.namespace,
    settings: context.settings,
    commit: TEST_COMMIT,
    live: context.live,
    observed,
  });
  const liveNames = new Set(context.live.map((o) => o.metadata.name));
  const newJobs = objects.filter((o) => o.kind === 'Job' && !liveNames.has(o.metadata.name));
  return { observed, objects, newJobs };
}
