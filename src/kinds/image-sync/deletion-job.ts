/**
 * ImageSync's deletions as render and `diff` see them (pure): the delete Job of the tags observe confirmed
 * (src/jobs/delete-jobs.ts), and the deletions of the image plan.
 */
import type { KubeObject } from '../../core/kube-object.js';
import type { CopyJobSetup } from '../../jobs/copy-jobs.js';
import { renderDeleteJob } from '../../jobs/delete-jobs.js';
import type { Manifest } from '../../manifests/types.js';
import { formatImageReference } from '../../registry/references.js';
import type { PlannedDeletion, RenderContext } from '../types.js';
import type { TagDeletion } from './deletions.js';
import { destinationRepository } from './observe-deletions.js';
import type { ImageSyncSpec } from './spec.js';

/** At most this many deletions are listed in an image plan (the status lists 25: status/details.ts). */
const PLANNED_DELETIONS_MAX = 25;

/** The Job deleting this sync's confirmed deletions; none when there are none. */
export function renderDeletionJobs(
  manifest: Manifest<ImageSyncSpec>,
  context: RenderContext<{ deletions?: TagDeletion[] }>,
  setup: CopyJobSetup,
): KubeObject[] {
  const deleting = (context.observed.deletions ?? []).flatMap((d) =>
    d.state === 'delete' && d.digest ? [{ tag: d.tag, digest: d.digest }] : [],
  );
  if (deleting.length === 0) return [];
  const destination = destinationRepository(manifest.spec);
  return [renderDeleteJob(setup, context.settings, `${manifest.name}-delete`, destination, deleting)];
}

/** The deletions `diff` lists, those done first. */
export function plannedDeletions(
  destination: { registry: string; repository: string },
  deletions: readonly TagDeletion[],
): PlannedDeletion[] {
  const order = (d: TagDeletion) => (d.state === 'delete' ? 0 : d.state === 'refused' ? 1 : 2);
  return [...deletions]
    .sort((a, b) => order(a) - order(b))
    .slice(0, PLANNED_DELETIONS_MAX)
    .map((d) => ({
      image: formatImageReference({ ...destination, tag: d.tag }),
      state: d.state,
      ...(d.digest ? { digest: d.digest } : {}),
      why: d.reason,
    }));
}
