// The objects an ImageBuild renders, by name and namespace; which live Job's commit is kept; the CronJob
// of a scheduled rebuild, and the schedule a CronJob cannot run.
import assert from 'node:assert/strict';
import { ImageGitopsError } from '../../../src/core/errors.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { BUILD_ANNOTATIONS, renderImageBuild } from '../../../src/kinds/image-build/render.js';
import { buildManifest, COMMIT_A, COMMIT_B, only, renderContext } from './fixtures.js';

const credentials = { authFile: { auths: { 'registry.example.com': { auth: 'dTpw' } } } };

function commitOf(object: KubeObject): string | undefined {
  return object.metadata.annotations?.[BUILD_ANNOTATIONS.commit];
}

/** The Job rendered at COMMIT_B while `live` exists. */
function jobWithLive(live: KubeObject[]): KubeObject {
  return only(renderImageBuild(buildManifest(), renderContext({ commit: COMMIT_B, live })), 'Job');
}

describe('ImageBuild rendered objects', () => {
  it('names the ConfigMap, Secret and Job after the manifest, in the context namespace by default', () => {
    const objects = renderImageBuild(buildManifest(), renderContext({ observed: credentials }));
    assert.deepEqual(
      objects.map((o) => [o.apiVersion, o.kind, o.metadata.namespace]),
      [
        ['v1', 'ConfigMap', 'builds'],
        ['v1', 'Secret', 'builds'],
        ['batch/v1', 'Job', 'builds'],
      ],
    );
    assert.match(only(objects, 'ConfigMap').metadata.name, /^app-context-[0-9a-f]{10}$/);
    assert.equal(only(objects, 'Secret').metadata.name, 'app-build-auth');
    assert.match(only(objects, 'Job').metadata.name, /^app-build-[0-9a-f]{10}$/);
  });

  it("puts every object in the manifest's own namespace when it names one", () => {
    const manifest = { ...buildManifest({ schedule: '1d' }), namespace: 'team-a' };
    const objects = renderImageBuild(manifest, renderContext({ observed: credentials }));
    assert.deepEqual(
      objects.map((o) => o.metadata.namespace),
      ['team-a', 'team-a', 'team-a', 'team-a'],
    );
  });

  describe('the commit of a live Job', () => {
    const first = only(renderImageBuild(buildManifest(), renderContext({ commit: COMMIT_A })), 'Job');

    it('is kept from the live Job of the same name', () => {
      assert.equal(commitOf(jobWithLive([first])), COMMIT_A);
    });

    it('is not taken from a live object of another kind with that name', () => {
      const cronJob = { ...first, kind: 'CronJob' };
      assert.equal(commitOf(jobWithLive([cronJob])), COMMIT_B);
    });

    it('is not taken from a live Job of another name (other content)', () => {
      const other = { ...first, metadata: { ...first.metadata, name: 'app-build-0000000000' } };
      assert.equal(commitOf(jobWithLive([other])), COMMIT_B);
    });

    it('falls back to the current commit when the live Job has no annotations', () => {
      const { annotations: _, ...metadata } = first.metadata;
      assert.equal(commitOf(jobWithLive([{ ...first, metadata }])), COMMIT_B);
    });
  });

  it('names the rebuild CronJob <name>-rebuild, within 52 characters for the Jobs it creates', () => {
    const cron = only(renderImageBuild(buildManifest({ schedule: '1d' }), renderContext()), 'CronJob');
    assert.equal(cron.metadata.name, 'app-rebuild');
    const long = 'a'.repeat(60);
    const longCron = only(
      renderImageBuild(buildManifest({ schedule: '1d' }, long), renderContext()),
      'CronJob',
    );
    assert.equal(longCron.metadata.name, 'a'.repeat(52));
  });

  it('refuses a schedule that is neither cron nor a duration, at /spec/schedule', () => {
    assert.throws(
      () => renderImageBuild(buildManifest({ schedule: 'every day' }), renderContext()),
      (error: unknown) => {
        assert.ok(error instanceof ImageGitopsError);
        assert.deepEqual(error.toProblem(), {
          code: 'INVALID_SPEC',
          message: 'schedule "every day" is neither cron nor a duration',
          location: { file: 'image-build/app.yaml', field: '/spec/schedule' },
        });
        return true;
      },
    );
  });
});
