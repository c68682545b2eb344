import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { assessHealth, worstHealth } from '../../../src/health/index.js';

/**
 * One case per object of gitops-engine's pkg/health test data (health_test.go), written here with the same
 * fields that decide the answer; the answer is the one gitops-engine's test asserts (a failed Job is our
 * `Failed`, its `Degraded`).
 */
function obj(
  apiVersion: string,
  kind: string,
  fields: { generation?: number; deletionTimestamp?: string; spec?: unknown; status?: unknown },
): KubeObject {
  const { generation, deletionTimestamp, ...rest } = fields;
  return {
    apiVersion,
    kind,
    metadata: {
      name: 'x',
      ...(generation !== undefined ? { generation } : {}),
      ...(deletionTimestamp ? { deletionTimestamp } : {}),
    },
    ...rest,
  };
}

const deployment = (fields: Parameters<typeof obj>[2]) => obj('apps/v1', 'Deployment', fields);
const statefulSet = (fields: Parameters<typeof obj>[2]) => obj('apps/v1', 'StatefulSet', fields);
const daemonSet = (fields: Parameters<typeof obj>[2]) => obj('apps/v1', 'DaemonSet', fields);
const job = (fields: Parameters<typeof obj>[2]) => obj('batch/v1', 'Job', fields);
const pod = (fields: Parameters<typeof obj>[2]) => obj('v1', 'Pod', fields);
const service = (fields: Parameters<typeof obj>[2]) => obj('v1', 'Service', fields);
const claim = (phase: string) => obj('v1', 'PersistentVolumeClaim', { spec: {}, status: { phase } });

const rolling = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
const oneOfTwoUpdated = {
  observedGeneration: 3,
  replicas: 2,
  updatedReplicas: 1,
  readyReplicas: 1,
  availableReplicas: 1,
  unavailableReplicas: 1,
  conditions: [
    { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
    {
      type: 'Progressing',
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: 'ReplicaSet "web-6f7" is progressing.',
    },
  ],
};

const notReady = {
  type: 'Ready',
  status: 'False',
  reason: 'ContainersNotReady',
  message: 'containers with unready status: [app]',
};
const ready = { type: 'Ready', status: 'True' };

describe('health (gitops-engine rules)', () => {
  describe('Deployment', () => {
    it('is Healthy when rolled out and available (nginx)', () => {
      const web = deployment({
        generation: 1,
        spec: { replicas: 1, strategy: rolling },
        status: {
          observedGeneration: 1,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
        },
      });
      assert.deepEqual(assessHealth(web), { health: 'Healthy' });
    });

    it('is Progressing while an old replica is still present, though the wanted one is ready (deployment-progressing)', () => {
      const web = deployment({
        generation: 3,
        spec: { replicas: 1, strategy: rolling },
        status: oneOfTwoUpdated,
      });
      assert.deepEqual(assessHealth(web), {
        health: 'Progressing',
        message: '1 old replicas still running, waiting for them to end',
      });
    });

    it('is Suspended when paused (deployment-suspended)', () => {
      const web = deployment({ generation: 3, spec: { replicas: 1, paused: true }, status: oneOfTwoUpdated });
      assert.deepEqual(assessHealth(web), { health: 'Suspended', message: 'Deployment is paused' });
    });

    it("is Degraded past its progress deadline, with the controller's message (deployment-degraded)", () => {
      const web = deployment({
        generation: 3,
        spec: { replicas: 1 },
        status: {
          ...oneOfTwoUpdated,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "web-6f7" has timed out progressing.',
            },
          ],
        },
      });
      assert.deepEqual(assessHealth(web), {
        health: 'Degraded',
        message: 'ReplicaSet "web-6f7" has timed out progressing.',
      });
    });

    it('is Progressing until the controller observed the new generation', () => {
      const web = deployment({
        generation: 4,
        spec: { replicas: 1 },
        status: { observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      });
      assert.deepEqual(assessHealth(web), { health: 'Progressing', message: 'rollout not observed yet' });
    });

    it('is Progressing while updated replicas are not yet available', () => {
      const web = deployment({
        generation: 2,
        spec: { replicas: 3 },
        status: {
          observedGeneration: 2,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 3,
          availableReplicas: 1,
        },
      });
      assert.deepEqual(assessHealth(web), {
        health: 'Progressing',
        message: '1/3 updated replicas available',
      });
    });
  });

  describe('StatefulSet', () => {
    const onDelete = (status: Record<string, unknown>) =>
      statefulSet({
        generation: 1,
        spec: { replicas: 1, serviceName: 'cache', updateStrategy: { type: 'OnDelete' } },
        status: { observedGeneration: 1, replicas: 1, readyReplicas: 1, currentReplicas: 1, ...status },
      });

    it('is Healthy with every pod ready at one revision, though no updatedReplicas is reported (statefulset)', () => {
      const sts = onDelete({ currentRevision: 'cache-5c8d', updateRevision: 'cache-5c8d' });
      assert.deepEqual(assessHealth(sts), { health: 'Healthy' });
    });

    it('with OnDelete, is Healthy while pods wait to be deleted onto the new revision (statefulset-ondelete)', () => {
      const sts = onDelete({ currentRevision: 'cache-5c8d', updateRevision: 'cache-77aa' });
      assert.equal(assessHealth(sts).health, 'Healthy');
      assert.match(assessHealth(sts).message ?? '', /cache-77aa/);
    });

    it('with RollingUpdate and no partition given, is Progressing while revisions differ', () => {
      const sts = statefulSet({
        generation: 2,
        spec: { replicas: 2, updateStrategy: { type: 'RollingUpdate' } },
        status: {
          observedGeneration: 2,
          readyReplicas: 2,
          updatedReplicas: 1,
          currentRevision: 'a',
          updateRevision: 'b',
        },
      });
      assert.deepEqual(assessHealth(sts), { health: 'Progressing', message: '1/2 pods at revision b' });
    });

    it('with a partition, is Healthy once the pods above it are updated', () => {
      const sts = statefulSet({
        generation: 2,
        spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
        status: {
          observedGeneration: 2,
          readyReplicas: 3,
          updatedReplicas: 1,
          currentRevision: 'a',
          updateRevision: 'b',
        },
      });
      assert.deepEqual(assessHealth(sts), { health: 'Healthy' });
    });

    it('is Progressing while pods are not ready', () => {
      const sts = onDelete({ readyReplicas: 0 });
      assert.deepEqual(assessHealth(sts), { health: 'Progressing', message: '0/1 pods ready' });
    });
  });

  describe('DaemonSet', () => {
    it('with OnDelete, is Healthy though no pod reports the new revision (daemonset-ondelete)', () => {
      const ds = daemonSet({
        spec: { updateStrategy: { type: 'OnDelete' } },
        status: {
          observedGeneration: 4,
          currentNumberScheduled: 1,
          desiredNumberScheduled: 1,
          numberAvailable: 1,
          numberReady: 1,
          numberMisscheduled: 0,
        },
      });
      assert.equal(assessHealth(ds).health, 'Healthy');
    });

    it('with RollingUpdate, is Progressing until every node runs an updated, available pod', () => {
      const status = { observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3 };
      const rollingDs = (extra: Record<string, number>) =>
        daemonSet({
          generation: 2,
          spec: { updateStrategy: { type: 'RollingUpdate' } },
          status: { ...status, ...extra },
        });
      assert.deepEqual(assessHealth(rollingDs({ updatedNumberScheduled: 2, numberAvailable: 3 })), {
        health: 'Progressing',
        message: '2/3 nodes updated',
      });
      assert.deepEqual(assessHealth(rollingDs({ updatedNumberScheduled: 3, numberAvailable: 1 })), {
        health: 'Progressing',
        message: '1/3 nodes available',
      });
      assert.deepEqual(assessHealth(rollingDs({ updatedNumberScheduled: 3, numberAvailable: 3 })), {
        health: 'Healthy',
      });
    });

    it('is Progressing until the new generation is observed', () => {
      const ds = daemonSet({
        generation: 5,
        status: {
          observedGeneration: 4,
          desiredNumberScheduled: 1,
          updatedNumberScheduled: 1,
          numberAvailable: 1,
        },
      });
      assert.equal(assessHealth(ds).health, 'Progressing');
    });
  });

  describe('PersistentVolumeClaim', () => {
    it('is Healthy when Bound (pvc-bound)', () =>
      assert.equal(assessHealth(claim('Bound')).health, 'Healthy'));
    it('is Progressing while Pending (pvc-pending)', () =>
      assert.equal(assessHealth(claim('Pending')).health, 'Progressing'));
    it('is Degraded when Lost', () => assert.equal(assessHealth(claim('Lost')).health, 'Degraded'));
  });

  describe('Service', () => {
    it('is Healthy as a ClusterIP (svc-clusterip)', () =>
      assert.equal(
        assessHealth(service({ spec: { type: 'ClusterIP' }, status: { loadBalancer: {} } })).health,
        'Healthy',
      ));
    it('as a LoadBalancer, is Healthy with an address (svc-loadbalancer)', () =>
      assert.equal(
        assessHealth(
          service({
            spec: { type: 'LoadBalancer' },
            status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
          }),
        ).health,
        'Healthy',
      ));
    it('as a LoadBalancer, is Progressing without one (svc-loadbalancer-unassigned)', () =>
      assert.equal(
        assessHealth(service({ spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } })).health,
        'Progressing',
      ));
    it('as a LoadBalancer, is Healthy with an ingress entry, even an empty one (svc-loadbalancer-nonemptylist)', () =>
      assert.equal(
        assessHealth(service({ spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{}] } } }))
          .health,
        'Healthy',
      ));
  });

  describe('Job', () => {
    it('is Progressing while running (job-running)', () =>
      assert.deepEqual(
        assessHealth(job({ spec: {}, status: { active: 1, startTime: '2026-01-01T00:00:00Z' } })),
        {
          health: 'Progressing',
          message: 'job running',
        },
      ));

    it('is Failed with the reason and message of its Failed condition (job-failed)', () => {
      const failed = job({
        status: {
          failed: 1,
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
      assert.deepEqual(assessHealth(failed), {
        health: 'Failed',
        message: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
      });
    });

    it('is Healthy once Complete (job-succeeded), and a False condition does not count', () => {
      assert.deepEqual(
        assessHealth(job({ status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } })),
        {
          health: 'Healthy',
        },
      );
      assert.equal(
        assessHealth(job({ status: { conditions: [{ type: 'Complete', status: 'False' }] } })).health,
        'Progressing',
      );
    });

    it('is Suspended when suspended (job-suspended)', () => {
      const suspended = job({
        spec: { suspend: true },
        status: {
          conditions: [
            { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' },
          ],
        },
      });
      assert.deepEqual(assessHealth(suspended), { health: 'Suspended', message: 'Job suspended' });
    });
  });

  describe('CronJob', () => {
    it('is Suspended when spec.suspend is set, else Healthy', () => {
      assert.equal(assessHealth(obj('batch/v1', 'CronJob', { spec: { suspend: true } })).health, 'Suspended');
      assert.equal(
        assessHealth(obj('batch/v1', 'CronJob', { spec: { schedule: '*/5 * * * *' } })).health,
        'Healthy',
      );
    });
  });

  describe('Pod', () => {
    const container = (state: Record<string, unknown>, lastState: Record<string, unknown> = {}) => ({
      name: 'app',
      image: 'registry.example/app:1',
      ready: false,
      restartCount: 0,
      state,
      lastState,
    });
    const always = (status: Record<string, unknown>) => pod({ spec: { restartPolicy: 'Always' }, status });
    const never = (status: Record<string, unknown>) => pod({ spec: { restartPolicy: 'Never' }, status });
    const onFailure = (status: Record<string, unknown>) =>
      pod({ spec: { restartPolicy: 'OnFailure' }, status });
    const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
    const exited = { terminated: { exitCode: 1, reason: 'Error' } };

    it('is Progressing while Pending (pod-pending)', () =>
      assert.equal(
        assessHealth(
          always({
            phase: 'Pending',
            conditions: [notReady],
            containerStatuses: [container({ waiting: { reason: 'PodInitializing' } })],
          }),
        ).health,
        'Progressing',
      ));
    it('is Progressing while Running but not ready (pod-running-not-ready)', () =>
      assert.equal(
        assessHealth(
          always({ phase: 'Running', conditions: [notReady], containerStatuses: [container(running)] }),
        ).health,
        'Progressing',
      ));
    it('is Degraded in CrashLoopBackOff (pod-crashloop)', () =>
      assert.deepEqual(
        assessHealth(
          always({
            phase: 'Running',
            conditions: [notReady],
            containerStatuses: [
              container(
                { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting app' } },
                exited,
              ),
            ],
          }),
        ),
        { health: 'Degraded', message: 'back-off 40s restarting app' },
      ));
    it('is Degraded in ImagePullBackOff (pod-imagepullbackoff)', () =>
      assert.equal(
        assessHealth(
          always({
            phase: 'Pending',
            conditions: [notReady],
            containerStatuses: [
              container({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } }),
            ],
          }),
        ).health,
        'Degraded',
      ));
    it('is Degraded when Running, not ready, after a container ended (pod-error)', () =>
      assert.equal(
        assessHealth(
          always({
            phase: 'Running',
            conditions: [notReady],
            containerStatuses: [container(running, exited)],
          }),
        ).health,
        'Degraded',
      ));
    it('is Healthy when Running and ready with restartPolicy Always (pod-running-restart-always)', () =>
      assert.equal(
        assessHealth(
          always({ phase: 'Running', conditions: [ready], containerStatuses: [container(running)] }),
        ).health,
        'Healthy',
      ));
    it('is Progressing when Running with restartPolicy Never, ready or not (pod-running-restart-never)', () =>
      assert.equal(
        assessHealth(
          never({ phase: 'Running', conditions: [ready], containerStatuses: [container(running)] }),
        ).health,
        'Progressing',
      ));
    it('is Progressing when Running with restartPolicy OnFailure (pod-running-restart-onfailure)', () =>
      assert.equal(
        assessHealth(
          onFailure({ phase: 'Running', conditions: [ready], containerStatuses: [container(running)] }),
        ).health,
        'Progressing',
      ));
    it('is Degraded when Failed, naming the failed container (pod-failed)', () =>
      assert.deepEqual(
        assessHealth(
          never({ phase: 'Failed', conditions: [notReady], containerStatuses: [container(exited)] }),
        ),
        {
          health: 'Degraded',
          message: 'container "app" failed with exit code 1',
        },
      ));
    it('is Healthy when Succeeded (pod-succeeded)', () =>
      assert.equal(
        assessHealth(
          never({
            phase: 'Succeeded',
            containerStatuses: [container({ terminated: { exitCode: 0, reason: 'Completed' } })],
          }),
        ).health,
        'Healthy',
      ));
    it('is Progressing while being deleted (pod-deletion)', () =>
      assert.deepEqual(
        assessHealth(
          pod({
            deletionTimestamp: '2026-01-02T00:00:00Z',
            spec: { restartPolicy: 'Always' },
            status: {
              phase: 'Pending',
              containerStatuses: [container({ waiting: { reason: 'PodInitializing' } })],
            },
          }),
        ),
        { health: 'Progressing', message: 'pending deletion' },
      ));
  });

  it('leaves a kind of the same name in another group alone, takes objects without a rule as Healthy and a missing one as Unknown', () => {
    assert.equal(
      assessHealth(obj('example.com/v1', 'Deployment', { spec: { paused: true } })).health,
      'Healthy',
    );
    assert.equal(
      assessHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).health,
      'Healthy',
    );
    assert.equal(assessHealth(undefined).health, 'Unknown');
  });

  it('summarises a set of objects by the worst health, Suspended just above Healthy', () => {
    assert.equal(worstHealth(['Healthy', 'Progressing', 'Healthy']), 'Progressing');
    assert.equal(worstHealth(['Progressing', 'Failed']), 'Failed');
    assert.equal(worstHealth(['Healthy', 'Suspended']), 'Suspended');
    assert.equal(worstHealth(['Suspended', 'Progressing']), 'Progressing');
    assert.equal(worstHealth(['Suspended', 'Unknown']), 'Unknown');
    assert.equal(worstHealth([]), 'Healthy');
  });
});
