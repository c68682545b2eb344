import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { ANNOTATIONS, LABELS } from '../../../src/core/labels.js';
import type { Manifest } from '../../../src/manifests/types.js';
import {
  appliedHashOf,
  manifestId,
  manifestKeyOf,
  ownedSelector,
  sourceFileOf,
  stampObject,
} from '../../../src/render/stamp.js';

const commit = (sha: string) => ({ sha, author: 'Ann', date: '2024-01-01T00:00:00Z', message: 'change' });
const A = commit('a'.repeat(40));
const B = commit('b'.repeat(40));

function manifest(name: string, file = 'prepull/tools.yaml'): Manifest {
  return {
    key: `ImagePrepull/${name}`,
    kind: 'ImagePrepull',
    name,
    spec: {},
    origin: { file, line: 3, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImagePrepull' },
  };
}

function daemonSet(image = 'busybox:1.36'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'tools', namespace: 'ns', labels: { app: 'tools' }, annotations: { note: 'kept' } },
    spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
  };
}

describe('stamping rendered objects', () => {
  it('adds the ownership labels and the where-from annotations, keeping the object’s own', () => {
    const stamped = stampObject(daemonSet(), manifest('tools'), 'blue', A);
    assert.deepEqual(stamped.metadata.labels, {
      app: 'tools',
      [LABELS.managedBy]: 'image-gitops',
      [LABELS.instance]: 'blue',
      [LABELS.manifestId]: manifestId('ImagePrepull/tools'),
      [LABELS.manifestKind]: 'ImagePrepull',
    });
    const annotations = stamped.metadata.annotations!;
    assert.equal(annotations.note, 'kept');
    assert.equal(annotations[ANNOTATIONS.manifest], 'ImagePrepull/tools');
    assert.equal(annotations[ANNOTATIONS.sourceFile], 'prepull/tools.yaml');
    assert.equal(annotations[ANNOTATIONS.commit], A.sha);
    assert.match(annotations[ANNOTATIONS.appliedHash]!, /^[0-9a-f]{16}$/);
    assert.equal(manifestKeyOf(stamped), 'ImagePrepull/tools');
    assert.equal(sourceFileOf(stamped), 'prepull/tools.yaml');
    assert.deepEqual(stamped.spec, daemonSet().spec);
  });

  it('does not change the object it was given', () => {
    const original = daemonSet();
    const copy = structuredClone(original);
    stampObject(original, manifest('tools'), 'blue', A);
    assert.deepEqual(original, copy);
  });

  it('hashes the content but not the commit: a commit that changes nothing for the object keeps its hash', () => {
    const atA = stampObject(daemonSet(), manifest('tools'), 'blue', A);
    const atB = stampObject(daemonSet(), manifest('tools'), 'blue', B);
    assert.equal(appliedHashOf(atA), appliedHashOf(atB));
    assert.notEqual(
      atA.metadata.annotations![ANNOTATIONS.commit],
      atB.metadata.annotations![ANNOTATIONS.commit],
    );
  });

  it('changes the hash when the content, the manifest or its file changes', () => {
    const base = appliedHashOf(stampObject(daemonSet(), manifest('tools'), 'blue', A));
    const others = [
      stampObject(daemonSet('busybox:1.37'), manifest('tools'), 'blue', A),
      stampObject(daemonSet(), manifest('tools', 'moved/tools.yaml'), 'blue', A),
      stampObject(daemonSet(), manifest('other'), 'blue', A),
    ].map(appliedHashOf);
    for (const hash of others) assert.notEqual(hash, base);
  });

  it('labels the manifest by a short id, valid as a label value even for a very long manifest key', () => {
    const longName = 'a'.repeat(63);
    const key = `ImageSync/${'n'.repeat(63)}/${longName}`;
    const id = manifestId(key);
    assert.ok(id.length <= 63);
    assert.match(id, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.equal(manifestId(key), id, 'stable');
    assert.notEqual(manifestId(`${key}x`), id);
    const stamped = stampObject(daemonSet(), { ...manifest(longName), key }, 'blue', A);
    assert.equal(stamped.metadata.labels![LABELS.manifestId], id);
    for (const value of Object.values(stamped.metadata.labels!)) assert.ok(value.length <= 63, value);
  });

  it('selects the objects of one instance', () => {
    assert.equal(ownedSelector('blue'), `${LABELS.managedBy}=image-gitops,${LABELS.instance}=blue`);
  });
});
