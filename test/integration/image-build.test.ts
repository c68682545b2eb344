import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/core/kube-object.js';
import { imageBuildKind } from '../../src/kinds/image-build/index.js';
import type { ImageBuildSpec } from '../../src/kinds/image-build/types.js';
import { type ControlPlane, controlPlane } from '../support/control-plane.js';
import { buildManifest, COMMIT_A, COMMIT_B, renderContext } from '../unit/image-build/fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of stored objects
type Loose = any;

const AUTH = { auths: { 'registry.example.com': { auth: Buffer.from('push:pw').toString('base64') } } };

function sampleFiles(changes: Record<string, string> = {}): Map<string, string> {
  const files = new Map(
    ['Dockerfile', 'greeting.txt'].map((f) => [
      `image-build/app/${f}`,
      readFileSync(`sample-repo/image-build/app/${f}`, 'utf8'),
    ]),
  );
  for (const [path, content] of Object.entries(changes)) files.set(path, content);
  return files;
}

function sampleSpec(): ImageBuildSpec {
  const [doc] = parseAllDocuments(readFileSync('sample-repo/image-build/app.yaml', 'utf8')).map(
    (d) => d.toJSON() as Loose,
  );
  return doc.spec as ImageBuildSpec;
}

function render(
  namespace: string,
  options: { files: Map<string, string>; commit: string; live?: KubeObject[] },
) {
  const manifest = { ...buildManifest(sampleSpec(), 'greeter'), namespace };
  return imageBuildKind.render(manifest, renderContext({ ...options, observed: { authFile: AUTH } }));
}

function named(objects: KubeObject[], kind: string): KubeObject {
  const found = objects.find((o) => o.kind === kind);
  assert.ok(found, `no ${kind}`);
  return found;
}

describe('ImageBuild objects on a real kube-apiserver', function () {
  this.timeout(120_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await controlPlane();
  });

  it('accepts the context ConfigMap, authfile Secret, build Job and rebuild CronJob of the sample', async () => {
    const namespace = await cp.newNamespace('build');
    const objects = render(namespace, { files: sampleFiles(), commit: COMMIT_A });
    assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'CronJob', 'Job', 'Secret']);
    for (const object of objects) {
      const stored = (await cp.kubeApi.apply(object)) as Loose;
      assert.ok(stored.metadata.uid, `${object.kind} stored`);
    }
    const job = (await cp.kubeApi.get(
      { apiVersion: 'batch/v1', kind: 'Job' },
      namespace,
      named(objects, 'Job').metadata.name,
    )) as Loose;
    const build = job.spec.template.spec.containers[0];
    assert.equal(build.securityContext.privileged, false);
    assert.deepEqual(build.securityContext.capabilities.drop, ['ALL']);
    assert.equal(build.securityContext.seccompProfile.type, 'Unconfined');
    assert.equal(job.spec.template.spec.initContainers[0].name, 'unpack-context');
    const configMap = (await cp.kubeApi.get(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      namespace,
      named(objects, 'ConfigMap').metadata.name,
    )) as Loose;
    assert.equal(configMap.immutable, true);
    assert.equal(
      configMap.binaryData['context.tar'],
      (named(objects, 'ConfigMap').binaryData as Loose)['context.tar'],
    );
  });

  it('keeps the Job at a new commit with unchanged content (re-applied as is), and makes a new one for a changed context', async () => {
    const namespace = await cp.newNamespace('rebuild');
    const first = render(namespace, { files: sampleFiles(), commit: COMMIT_A });
    for (const object of first) await cp.kubeApi.apply(object);
    const liveJob = await cp.kubeApi.get(
      { apiVersion: 'batch/v1', kind: 'Job' },
      namespace,
      named(first, 'Job').metadata.name,
    );
    assert.ok(liveJob);

    const unchanged = render(namespace, { files: sampleFiles(), commit: COMMIT_B, live: [liveJob] });
    assert.equal(named(unchanged, 'Job').metadata.name, liveJob.metadata.name);
    assert.equal(named(unchanged, 'ConfigMap').metadata.name, named(first, 'ConfigMap').metadata.name);
    // The pod template is immutable: a re-apply is accepted only because nothing in it changed.
    for (const object of unchanged) await cp.kubeApi.apply(object);

    const changed = render(namespace, {
      files: sampleFiles({ 'image-build/app/greeting.txt': 'Changed greeting.\n' }),
      commit: COMMIT_B,
      live: [liveJob],
    });
    assert.notEqual(named(changed, 'Job').metadata.name, liveJob.metadata.name);
    assert.notEqual(named(changed, 'ConfigMap').metadata.name, named(first, 'ConfigMap').metadata.name);
    for (const object of changed) await cp.kubeApi.apply(object);
    const jobs = await cp.kubeApi.list({ apiVersion: 'batch/v1', kind: 'Job' }, namespace);
    assert.equal(jobs.length, 2);
  });
});
