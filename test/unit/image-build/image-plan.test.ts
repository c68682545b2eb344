// What `diff` says an ImageBuild would do: build or not, and why, read from the Job names render gives
// (they hash the content) against the build Jobs in the cluster.
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { imageBuildPlan } from '../../../src/kinds/image-build/image-plan.js';
import { BUILD_ANNOTATIONS, renderImageBuild } from '../../../src/kinds/image-build/render.js';
import { buildManifest, COMMIT_A, COMMIT_B, only, renderContext, repoFiles } from './fixtures.js';

function planAt(options: Parameters<typeof renderContext>[0], manifest = buildManifest()) {
  const context = renderContext(options);
  return imageBuildPlan(manifest, context, renderImageBuild(manifest, context));
}

/** The build Job of the default manifest at COMMIT_A, as it stands in the cluster once created. */
function liveJob(files = repoFiles()): KubeObject {
  return only(renderImageBuild(buildManifest(), renderContext({ files })), 'Job');
}

describe('ImageBuild image plan', () => {
  it('builds content no Job has built yet, and names the image and architectures', () => {
    const plan = planAt({});
    assert.deepEqual(
      plan.builds?.map((b) => [b.build, b.why]),
      [[true, 'no build of this content yet']],
    );
    assert.match(plan.builds?.[0]?.image ?? '', /^registry\.example\.com\/team\/app:/);
    assert.match(plan.summary, /^builds registry\.example\.com\/team\/app:\S+ \(amd64\)$/);
  });

  it('does not build content a live Job built, at a later commit too, and says which Job and commit', () => {
    const job = liveJob();
    const plan = planAt({ commit: COMMIT_B, live: [job] });
    assert.deepEqual(
      plan.builds?.map((b) => [b.build, b.why]),
      [[false, `built already: Job ${job.metadata.name} (commit ${COMMIT_A.slice(0, 12)})`]],
    );
    assert.equal(plan.summary, 'no build');
    assert.equal(job.metadata.annotations?.[BUILD_ANNOTATIONS.commit], COMMIT_A);
  });

  it('builds again when the context changed, naming the Job of the last build', () => {
    const job = liveJob();
    const changed = repoFiles({ 'image-build/app/hello.txt': 'hello again\n' });
    const plan = planAt({ commit: COMMIT_B, live: [job], files: changed });
    assert.equal(plan.builds?.[0]?.build, true);
    assert.equal(
      plan.builds?.[0]?.why,
      `the build context or spec changed since Job ${job.metadata.name} (commit ${COMMIT_A.slice(0, 12)})`,
    );
  });

  it('says a scheduled rebuild will follow, and both architectures', () => {
    const plan = planAt({}, buildManifest({ schedule: '1d', architectures: ['amd64', 'arm64'] }));
    assert.match(plan.summary, /\(amd64\+arm64\); rebuilt on the schedule "1d"$/);
  });
});
