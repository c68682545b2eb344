import assert from 'node:assert/strict';
import { imagesToBackUp } from '../../../src/kinds/image-backup/images.js';
import {
  containerImages,
  isNamespaceSelected,
  readWorkload,
  type WorkloadImages,
} from '../../../src/kinds/image-backup/workloads.js';
import { podSpec, workload } from './fixtures.js';

const BACKUP = 'registry.example.com/backup';

describe('ImageBackup workload image discovery', () => {
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'Pod'] as const) {
    it(`reads the containers and initContainers of a ${kind}`, () => {
      const object = workload(
        kind,
        'web',
        podSpec([{ name: 'app', image: 'nginx:1.23' }], [{ name: 'setup', image: 'busybox' }]),
      );
      assert.deepEqual(containerImages(object), [
        { name: 'setup', image: 'busybox', init: true },
        { name: 'app', image: 'nginx:1.23', init: false },
      ]);
    });
  }

  it("reads a CronJob's images from its jobTemplate", () => {
    const cron = workload('CronJob', 'report', podSpec([{ name: 'run', image: 'ghcr.io/acme/report:2' }]));
    assert.deepEqual(containerImages(cron), [{ name: 'run', image: 'ghcr.io/acme/report:2', init: false }]);
    assert.equal(readWorkload(cron)?.rewritable, true);
  });

  it('skips Pods and Jobs with a controlling owner: their Deployment or CronJob is covered', () => {
    const owner = { ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', controller: true }] };
    assert.equal(
      readWorkload(workload('Pod', 'web-1-x', podSpec([{ name: 'a', image: 'nginx' }]), owner)),
      undefined,
    );
    assert.equal(
      readWorkload(workload('Job', 'report-1', podSpec([{ name: 'a', image: 'nginx' }]), owner)),
      undefined,
    );
    assert.ok(readWorkload(workload('Pod', 'bare', podSpec([{ name: 'a', image: 'nginx' }]))));
  });

  it('backs up the images of a Job but never plans to rewrite it (its pod template is immutable)', () => {
    const job = readWorkload(workload('Job', 'once', podSpec([{ name: 'a', image: 'nginx' }])));
    assert.equal(job?.rewritable, false);
  });

  it("skips image-gitops's own objects and objects being deleted", () => {
    const ours = { labels: { 'app.kubernetes.io/managed-by': 'image-gitops' } };
    assert.equal(
      readWorkload(workload('Job', 'sync', podSpec([{ name: 'a', image: 'skopeo' }]), ours)),
      undefined,
    );
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    assert.equal(
      readWorkload(workload('Pod', 'gone', podSpec([{ name: 'a', image: 'x' }]), deleting)),
      undefined,
    );
  });

  it('lists each image once, canonical, and leaves out images already in the backup registry', () => {
    const workloads = [
      workload(
        'Deployment',
        'a',
        podSpec([{ name: 'a', image: 'nginx' }], [{ name: 'i', image: 'busybox:1.36' }]),
      ),
      workload('StatefulSet', 'b', podSpec([{ name: 'b', image: 'docker.io/library/nginx:latest' }])),
      workload(
        'DaemonSet',
        'c',
        podSpec([{ name: 'c', image: `${BACKUP}/index_docker_io/library/redis:7` }]),
      ),
      workload('Pod', 'd', podSpec([{ name: 'd', image: 'Not A Reference' }])),
    ].map((o) => readWorkload(o) as WorkloadImages);
    assert.deepEqual(imagesToBackUp(workloads, BACKUP), {
      sourceRefs: ['docker.io/library/busybox:1.36', 'docker.io/library/nginx:latest'],
      unreadable: ['Not A Reference'],
    });
  });
});

describe('ImageBackup namespace selection', () => {
  it('selects every namespace but kube-system by default', () => {
    assert.equal(isNamespaceSelected('apps', {}, undefined), true);
    assert.equal(isNamespaceSelected('kube-system', {}, undefined), false);
  });

  it('selects only the listed namespaces, kube-system too when listed', () => {
    const selection = { namespaces: ['apps', 'kube-system'] };
    assert.equal(isNamespaceSelected('apps', selection, {}), true);
    assert.equal(isNamespaceSelected('kube-system', selection, {}), true);
    assert.equal(isNamespaceSelected('other', selection, {}), false);
  });

  it('ignores the ignoreNamespaces list (NAMESPACES_TO_IGNORE) on top of kube-system', () => {
    const selection = { ignoreNamespaces: ['monitoring'] };
    assert.equal(isNamespaceSelected('monitoring', selection, {}), false);
    assert.equal(isNamespaceSelected('kube-system', selection, {}), false);
    assert.equal(isNamespaceSelected('apps', selection, {}), true);
  });

  it('ignores a namespace labelled image-gitops.io/backup=disabled, even when listed', () => {
    const labels = { 'image-gitops.io/backup': 'disabled' };
    assert.equal(isNamespaceSelected('apps', {}, labels), false);
    assert.equal(isNamespaceSelected('apps', { namespaces: ['apps'] }, labels), false);
  });
});
