/** The ImageBuild kind: build images from the config repo with Buildah Jobs (one-shot and scheduled). */
import type { KindDefinition } from '../types.js';
import { convertImageOperatorImageBuilder } from './alias-image-operator.js';
import { checkImageBuild } from './check.js';
import { contextPathProblems } from './context.js';
import { imageBuildPlan } from './image-plan.js';
import { type ImageBuildObserved, observeImageBuild } from './observe.js';
import { renderImageBuild } from './render.js';
import type { ImageBuildSpec } from './types.js';

export type { ImageBuildObserved } from './observe.js';
export { type BuildSummary, summarizeBuildJob } from './summarize.js';
export type { ImageBuildSpec } from './types.js';

export const imageBuildKind: KindDefinition<ImageBuildSpec, ImageBuildObserved> = {
  kind: 'ImageBuild',
  apiVersion: 'image-gitops.io/v1alpha1',
  schemaFile: 'image-build.schema.json',
  aliases: [
    {
      apiVersion: 'buildah.io/v1alpha1',
      kind: 'ImageBuilder',
      schemaFile: 'buildah.io-imagebuilder.schema.json',
      convert: convertImageOperatorImageBuilder,
    },
  ],
  // What a sync would refuse later too: a build context or Dockerfile outside the repo.
  check: (spec) => [...checkImageBuild(spec), ...contextPathProblems(spec)],
  produces: [
    { apiVersion: 'batch/v1', kind: 'Job' },
    { apiVersion: 'batch/v1', kind: 'CronJob' },
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { apiVersion: 'v1', kind: 'Secret' },
  ],
  observe: observeImageBuild,
  render: renderImageBuild,
  // The build context comes from the repo's files at the commit, and the Job builds that commit.
  rendersFromCommit: true,
  imagePlan: imageBuildPlan,
};
