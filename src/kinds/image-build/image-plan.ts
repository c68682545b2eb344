/**
 * Whether the next sync builds, and why, for `diff`. A build Job's name hashes what it builds (context,
 * Dockerfile, arguments), and a finished Job is kept: the same name in the cluster means this content was
 * built already; another build Job of this manifest means the content changed since. Pure.
 */
import type { KubeObject } from '../../core/kube-object.js';
import type { Manifest } from '../../manifests/types.js';
import type { ImagePlan, PlannedBuild, RenderContext } from '../types.js';
import type { ImageBuildObserved } from './observe.js';
import { BUILD_ANNOTATIONS } from './render.js';
import { DEFAULT_ARCHITECTURES, type ImageBuildSpec } from './types.js';

const short = (sha: string | undefined) => (sha ? sha.slice(0, 12) : 'an unknown commit');

export function imageBuildPlan(
  manifest: Manifest<ImageBuildSpec>,
  context: RenderContext<ImageBuildObserved>,
  objects: KubeObject[],
): ImagePlan {
  const liveJobs = context.live.filter((o) => o.kind === 'Job');
  const builds: PlannedBuild[] = objects
    .filter((o) => o.kind === 'Job')
    .map((job) => {
      const image = job.metadata.annotations?.[BUILD_ANNOTATIONS.image] ?? manifest.spec.image;
      const same = liveJobs.find((l) => l.metadata.name === job.metadata.name);
      if (same) {
        const commit = same.metadata.annotations?.[BUILD_ANNOTATIONS.commit];
        return {
          image,
          build: false,
          why: `built already: Job ${same.metadata.name} (commit ${short(commit)})`,
        };
      }
      const before = liveJobs[0];
      return {
        image,
        build: true,
        why: before
          ? `the build context or spec changed since Job ${before.metadata.name} (commit ${short(before.metadata.annotations?.[BUILD_ANNOTATIONS.commit])})`
          : 'no build of this content yet',
      };
    });
  const architectures = (manifest.spec.architectures ?? DEFAULT_ARCHITECTURES).join('+');
  const starts = builds.filter((b) => b.build).length;
  const schedule = manifest.spec.schedule ? `; rebuilt on the schedule "${manifest.spec.schedule}"` : '';
  return {
    summary: `${starts > 0 ? `builds ${builds[0]?.image} (${architectures})` : 'no build'}${schedule}`,
    builds,
  };
}
