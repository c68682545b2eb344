import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { assessHealth, worstHealth } from '../../../src/status/health.js';

function obj(kind: string, fields: { generation?: number; spec?: unknown; status?: unknown }): KubeObject {
  const { generation, ...rest } = fields;
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name: 'x', ...(generation !== undefined ? { generation } : {}) },
    ...rest,
  };
}

describe('health', () => {
  describe('Job', () => {
    it('is Healthy once Complete', () => {
      assert.deepEqual(
        assessHealth(obj('Job', { status: { conditions: [{ type: 'Complete', status: 'True' }] } })),
        { health: 'Healthy' },
      );
    });

    it('is Failed with the reason and message of its Failed condition', () => {
      const job = obj('Job', {
        status: {
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        },
      });
      assert.deepEqual(assessHealth(job), {
        health: 'Failed',
        message: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
      });
    });

    it('is Progressing while running, and a False condition does not count', () => {
      assert.equal(assessHealth(obj('Job', { status: { active: 1 } })).health, 'Progressing');
      assert.equal(
        assessHealth(obj('Job', { status: { conditions: [{ type: 'Complete', status: 'False' }] } })).health,
        'Progressing',
      );
    });
  });

  for (const kind of ['Deployment', 'StatefulSet']) {
    describe(kind, () => {
      it('is Healthy when every wanted replica is ready and updated at the observed generation', () => {
        const ready = obj(kind, {
          generation: 2,
          spec: { replicas: 3 },
          status: { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3 },
        });
        assert.deepEqual(assessHealth(ready), { health: 'Healthy' });
      });

      it('is Progressing until the controller observed the new generation', () => {
        const stale = obj(kind, {
          generation: 3,
          spec: { replicas: 1 },
          status: { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 },
        });
        assert.deepEqual(assessHealth(stale), { health: 'Progressing', message: 'rollout not observed yet' });
      });

      it('is Progressing with counts while replicas roll out', () => {
        const rolling = obj(kind, {
          generation: 2,
          spec: { replicas: 3 },
          status: { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 },
        });
        assert.deepEqual(assessHealth(rolling), { health: 'Progressing', message: '3/3 ready, 1/3 updated' });
      });

      it('wants one replica when spec.replicas is not set', () => {
        const none = obj(kind, { generation: 1, spec: {}, status: { observedGeneration: 1 } });
        assert.deepEqual(assessHealth(none), { health: 'Progressing', message: '0/1 ready, 0/1 updated' });
      });
    });
  }

  describe('Deployment past its progress deadline', () => {
    it("is Degraded, with the controller's message", () => {
      const stuck = obj('Deployment', {
        generation: 2,
        spec: { replicas: 2 },
        status: {
          observedGeneration: 2,
          readyReplicas: 1,
          updatedReplicas: 1,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "web-5d9" has timed out progressing.',
            },
          ],
        },
      });
      assert.deepEqual(assessHealth(stuck), {
        health: 'Degraded',
        message: 'ReplicaSet "web-5d9" has timed out progressing.',
      });
    });
  });

  describe('DaemonSet', () => {
    it('is Healthy when every scheduled node runs a ready, updated pod', () => {
      const ds = obj('DaemonSet', {
        generation: 4,
        status: {
          observedGeneration: 4,
          desiredNumberScheduled: 2,
          numberReady: 2,
          updatedNumberScheduled: 2,
        },
      });
      assert.deepEqual(assessHealth(ds), { health: 'Healthy' });
    });

    it('is Progressing while nodes are not ready or not updated', () => {
      const ds = obj('DaemonSet', {
        generation: 4,
        status: {
          observedGeneration: 4,
          desiredNumberScheduled: 3,
          numberReady: 1,
          updatedNumberScheduled: 3,
        },
      });
      assert.deepEqual(assessHealth(ds), { health: 'Progressing', message: '1/3 nodes ready, 3/3 updated' });
    });

    it('is Progressing until the new generation is observed', () => {
      const ds = obj('DaemonSet', {
        generation: 5,
        status: {
          observedGeneration: 4,
          desiredNumberScheduled: 1,
          numberReady: 1,
          updatedNumberScheduled: 1,
        },
      });
      assert.equal(assessHealth(ds).health, 'Progressing');
    });
  });

  it('takes objects without a readable status as Healthy, and a missing object as Unknown', () => {
    assert.equal(
      assessHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).health,
      'Healthy',
    );
    assert.equal(assessHealth(undefined).health, 'Unknown');
  });

  it('summarises a set of objects by the worst health', () => {
    assert.equal(worstHealth(['Healthy', 'Progressing', 'Healthy']), 'Progressing');
    assert.equal(worstHealth(['Progressing', 'Failed']), 'Failed');
    assert.equal(worstHealth([]), 'Healthy');
  });
});
