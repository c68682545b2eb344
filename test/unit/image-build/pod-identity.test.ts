import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, settingsFromEnv } from '../../../src/config/settings.js';
import { checkImageBuild } from '../../../src/kinds/image-build/check.js';
import { renderImageBuild } from '../../../src/kinds/image-build/render.js';
import { buildContainer, buildManifest, only, podSpec, renderContext } from './fixtures.js';

const privileged = { ...DEFAULT_SETTINGS, imageBuild: { privileged: true } };

describe('ImageBuild pod identity and privilege', () => {
  it('runs the build pod, and its rebuild CronJob, as spec.serviceAccountName (token not mounted)', () => {
    const objects = renderImageBuild(
      buildManifest({ serviceAccountName: 'ecr-pusher', schedule: '1d' }),
      renderContext(),
    );
    const job = only(objects, 'Job');
    assert.equal(podSpec(job).serviceAccountName, 'ecr-pusher');
    assert.equal(podSpec(job).automountServiceAccountToken, false);
    const cron = only(objects, 'CronJob').spec as {
      jobTemplate: { spec: { template: { spec: Record<string, unknown> } } };
    };
    assert.equal(cron.jobTemplate.spec.template.spec.serviceAccountName, 'ecr-pusher');
    assert.equal(
      podSpec(only(renderImageBuild(buildManifest(), renderContext()), 'Job')).serviceAccountName,
      undefined,
    );
  });

  it('gives a new Job name when the service account changes (the Job template is immutable)', () => {
    const a = only(renderImageBuild(buildManifest({ serviceAccountName: 'a' }), renderContext()), 'Job');
    const b = only(renderImageBuild(buildManifest({ serviceAccountName: 'b' }), renderContext()), 'Job');
    assert.notEqual(a.metadata.name, b.metadata.name);
  });

  it('runs the build container privileged under BUILDAH_PRIVILEGED_CONTAINER=true, and only then', () => {
    assert.equal(settingsFromEnv({ BUILDAH_PRIVILEGED_CONTAINER: 'true' }).imageBuild?.privileged, true);
    const job = only(renderImageBuild(buildManifest(), renderContext({ settings: privileged })), 'Job');
    const security = buildContainer(job).securityContext as Record<string, unknown>;
    assert.equal(security.privileged, true);
    // The API server refuses privileged together with allowPrivilegeEscalation: false.
    assert.equal(security.allowPrivilegeEscalation, true);
    assert.equal(security.runAsUser, 0);
    assert.equal(security.capabilities, undefined);
    // The unpack step stays unprivileged, non-root.
    const init = podSpec(job).initContainers?.[0] as { securityContext: Record<string, unknown> };
    assert.equal(init.securityContext.runAsNonRoot, true);
    const plain = only(renderImageBuild(buildManifest(), renderContext()), 'Job');
    assert.equal((buildContainer(plain).securityContext as Record<string, unknown>).privileged, false);
    assert.notEqual(plain.metadata.name, job.metadata.name);
  });

  it('refuses a rebuild schedule no CronJob runs at even intervals, saying which would', () => {
    const [problem] = checkImageBuild(buildManifest({ schedule: '45m' }).spec);
    assert.equal(problem?.field, '/spec/schedule');
    assert.match(problem?.message ?? '', /even intervals/);
    assert.deepEqual(checkImageBuild(buildManifest({ schedule: '30m' }).spec), []);
  });
});
