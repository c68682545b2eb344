import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { canonicalRef, imagesToBackUp } from '../../../src/kinds/image-backup/images.js';
import {
  backupCopyPair,
  backupImageName,
  isInBackupRegistry,
  rewrittenImage,
} from '../../../src/kinds/image-backup/naming.js';
import type { BackupState, ImageBackupObserved } from '../../../src/kinds/image-backup/observe.js';
import { planWorkloadRestores, planWorkloadRewrites } from '../../../src/kinds/image-backup/rewrite.js';
import {
  isNamespaceSelected,
  REWRITTEN_BY_ANNOTATION,
  readWorkload,
  type WorkloadImages,
} from '../../../src/kinds/image-backup/workloads.js';
import { podSpec, workload } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of patches
type Loose = any;

const HUB = 'docker.io/acme-backups';
const DIGEST = `sha256:33cef${'0'.repeat(59)}`;
const FLAT = { backupRegistry: HUB, naming: 'flat' as const };

describe('ImageBackup flat naming, for registries without nested paths', () => {
  const examples: Array<[string, string]> = [
    ['nginx', `${HUB}/index_docker_io_library_nginx:latest`],
    ['nginx:1.23', `${HUB}/index_docker_io_library_nginx:1.23`],
    [`nginx@${DIGEST}`, `${HUB}/index_docker_io_library_nginx:sha256_${DIGEST.slice(7)}`],
    ['ghcr.io/timebertt/speedtest-exporter:v0.1.0', `${HUB}/ghcr_io_timebertt_speedtest-exporter:v0.1.0`],
    ['127.0.0.1:5000/library/app:1.0', `${HUB}/127_0_0_1_5000_library_app:1.0`],
  ];
  for (const [image, expected] of examples) {
    it(`names the copy of ${image} in one repository level: ${expected.slice(HUB.length)}`, () => {
      assert.equal(backupImageName(FLAT, image), expected);
      // Docker Hub: one organisation, one repository.
      assert.equal(expected.split(':')[0]!.split('/').length, 3);
    });
  }

  it('keeps image-clone-controller nested scheme as the default, for a string or a spec', () => {
    const nested = `${HUB}/index_docker_io/library/nginx:latest`;
    assert.equal(backupImageName(HUB, 'nginx'), nested);
    assert.equal(backupImageName({ backupRegistry: HUB }, 'nginx'), nested);
    assert.equal(backupImageName({ backupRegistry: HUB, naming: 'nested' }, 'nginx'), nested);
  });

  it('copies to the flat name, pins a digest-pinned image to it, and never backs up a copy again', () => {
    assert.equal(
      backupCopyPair(FLAT, 'ghcr.io/acme/setup:v1').destination.repository,
      'acme-backups/ghcr_io_acme_setup',
    );
    assert.equal(
      rewrittenImage(FLAT, `grafana/grafana@${DIGEST}`),
      `${HUB}/index_docker_io_grafana_grafana:sha256_${DIGEST.slice(7)}@${DIGEST}`,
    );
    assert.equal(isInBackupRegistry(FLAT, `${HUB}/index_docker_io_library_nginx:latest`), true);
  });

  it('is accepted by the schema as naming: flat, and nothing else', () => {
    const validate = new Ajv({ allErrors: true }).compile<Loose>(
      JSON.parse(readFileSync('schemas/image-backup.schema.json', 'utf8')),
    );
    const doc = (naming: string) => ({
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImageBackup',
      metadata: { name: 'hub' },
      spec: { backupRegistry: HUB, naming },
    });
    assert.ok(validate(doc('flat')), JSON.stringify(validate.errors));
    assert.ok(validate(doc('nested')));
    assert.equal(validate(doc('dotted')), false);
  });

  describe('rewrites', () => {
    const KEY = 'ImageBackup/hub';
    const observedOf = (objects: KubeObject[], states: Record<string, BackupState>): ImageBackupObserved => ({
      manifestKey: KEY,
      workloads: objects.map((o) => readWorkload(o) as WorkloadImages),
      images: Object.entries(states).map(([image, state]) => ({
        sourceRef: canonicalRef(image)!,
        backup: '',
        state,
      })),
      pending: [],
      files: { cas: {} },
      message: '',
    });
    const web = () => workload('Deployment', 'web', podSpec([{ name: 'app', image: 'nginx:1.23' }]));

    it('points workloads at the flat copy and records the naming, so the rewrite is recognised and undone', () => {
      const [rewrite] = planWorkloadRewrites(observedOf([web()], { 'nginx:1.23': 'upToDate' }), {
        ...FLAT,
        rewrite: true,
      });
      const patch = rewrite!.patch as Loose;
      assert.deepEqual(patch.spec.template.spec.containers, [
        { name: 'app', image: `${HUB}/index_docker_io_library_nginx:1.23` },
      ]);
      assert.deepEqual(JSON.parse(patch.metadata.annotations[REWRITTEN_BY_ANNOTATION]), {
        manifest: KEY,
        backupRegistry: HUB,
        naming: 'flat',
      });

      // As the API server stores it: the container runs the copy, the annotations say whose it is.
      const rewritten = web();
      (rewritten.spec as Loose).template.spec.containers[0].image =
        `${HUB}/index_docker_io_library_nginx:1.23`;
      rewritten.metadata.annotations = patch.metadata.annotations;
      const observed = observedOf([rewritten], { 'nginx:1.23': 'upToDate' });
      assert.deepEqual(imagesToBackUp(observed.workloads, FLAT).sourceRefs, ['docker.io/library/nginx:1.23']);
      assert.deepEqual(planWorkloadRewrites(observed, { ...FLAT, rewrite: true }), [], 'steady');
      const [undo] = planWorkloadRestores(observed.workloads, new Set());
      assert.deepEqual((undo!.patch as Loose).spec.template.spec.containers, [
        { name: 'app', image: 'nginx:1.23' },
      ]);
    });
  });
});

describe("image-cloner-controller's namespace opt-out", () => {
  it('leaves alone a namespace labelled validate-backups.image-cloner.io=disable, as its webhooks did', () => {
    assert.equal(isNamespaceSelected('shop', {}, { 'validate-backups.image-cloner.io': 'disable' }), false);
    assert.equal(
      isNamespaceSelected(
        'shop',
        { namespaces: ['shop'] },
        { 'validate-backups.image-cloner.io': 'disable' },
      ),
      false,
    );
    assert.equal(isNamespaceSelected('shop', {}, { 'validate-backups.image-cloner.io': 'enable' }), true);
  });
});
