import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { renderImageBuild } from '../../../src/kinds/image-build/render.js';
import { summarizeBuildJob } from '../../../src/kinds/image-build/summarize.js';
import { buildManifest, COMMIT_A, only, renderContext } from './fixtures.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;

function liveJob(status: Record<string, unknown>): KubeObject {
  return { ...only(renderImageBuild(buildManifest(), renderContext()), 'Job'), status };
}

function pod(exitCode: number, message: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    status: { containerStatuses: [{ name: 'build', state: { terminated: { exitCode, message } } }] },
  };
}

describe('build Job summary', () => {
  it('reports a complete build with its duration, commit, image and the digest from the termination message', () => {
    const job = liveJob({
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:02:30Z',
      conditions: [{ type: 'Complete', status: 'True' }],
    });
    assert.deepEqual(summarizeBuildJob(job, [pod(0, `${DIGEST}\n`)]), {
      job: job.metadata.name,
      phase: 'Complete',
      commit: COMMIT_A,
      image: `registry.example.com/team/app:${COMMIT_A}`,
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:02:30Z',
      durationSeconds: 150,
      digest: DIGEST,
    });
  });

  it('reports a failed build with the condition and the log tail, and no digest', () => {
    const job = liveJob({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] });
    const summary = summarizeBuildJob(job, [pod(1, 'error building at STEP "RUN make"')]);
    assert.equal(summary.phase, 'Failed');
    assert.equal(summary.digest, undefined);
    assert.equal(summary.message, 'BackoffLimitExceeded: error building at STEP "RUN make"');
  });

  it('reports a running build as Active', () => {
    assert.equal(summarizeBuildJob(liveJob({ startTime: '2026-01-01T00:00:00Z' })).phase, 'Active');
  });
});
