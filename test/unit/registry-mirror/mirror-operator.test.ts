import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_SETTINGS } from '../../../src/config/settings.js';
import { findKind } from '../../../src/kinds/registry.js';
import { registryMirrorKind } from '../../../src/kinds/registry-mirror/index.js';
import { convertMirrorOperator } from '../../../src/kinds/registry-mirror/mirror-operator.js';
import type { RegistryMirrorSpec } from '../../../src/kinds/registry-mirror/types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered and stored objects
type Loose = any;

function schema(file: string) {
  return new Ajv({ allErrors: true }).compile<Loose>(JSON.parse(readFileSync(`schemas/${file}`, 'utf8')));
}

function documents(file: string): Loose[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON());
}

describe("mirror-operator's RegistryMirror (k8s.osp.tech/v1)", () => {
  it('is found as an alias of RegistryMirror', () => {
    const match = findKind('k8s.osp.tech/v1', 'RegistryMirror');
    assert.equal(match?.definition, registryMirrorKind);
    assert.equal(match?.alias?.schemaFile, 'k8s.osp.tech-registrymirror.schema.json');
  });

  it("accepts the README's examples as written", () => {
    const validate = schema('k8s.osp.tech-registrymirror.schema.json');
    const docs = documents('sample-repo/registry-mirror/mirror-operator.yaml');
    assert.equal(docs.length, 2);
    for (const doc of docs) assert.ok(validate(doc), JSON.stringify(validate.errors));
  });

  it('refuses a field mirror-operator did not have', () => {
    const validate = schema('k8s.osp.tech-registrymirror.schema.json');
    const doc = {
      apiVersion: 'k8s.osp.tech/v1',
      kind: 'RegistryMirror',
      metadata: { name: 'x' },
      spec: { upstreamUrl: 'quay.io', upstreamURL: 'x' },
    };
    assert.equal(validate(doc), false);
    assert.equal(validate.errors?.[0]?.params && 'additionalProperty' in validate.errors[0].params, true);
  });

  it('converts with two replicas, keeping credentials and the claim template (addressing: see render)', () => {
    const spec = convertMirrorOperator({
      apiVersion: 'k8s.osp.tech/v1',
      kind: 'RegistryMirror',
      metadata: { name: 'internal' },
      spec: {
        upstreamUrl: 'hub.docker.io',
        credentialsSecret: 'internal-mirror',
        volumeClaimTemplate: { spec: { resources: { requests: { storage: '20Gi' } } } },
        priorityClass: 'user-standard',
      },
    });
    assert.deepEqual(spec, {
      upstreamUrl: 'hub.docker.io',
      replicas: 2,
      credentialsSecret: 'internal-mirror',
      volumeClaimTemplate: { spec: { resources: { requests: { storage: '20Gi' } } } },
      priorityClassName: 'user-standard',
    } satisfies RegistryMirrorSpec);
  });

  it('renders a converted mirror that our schema and checks accept, masquerading mirror-<upstreamUrl>', () => {
    const ours = schema('registry-mirror.schema.json');
    for (const doc of documents('sample-repo/registry-mirror/mirror-operator.yaml')) {
      const spec = convertMirrorOperator(doc);
      const asOurs = {
        apiVersion: 'image-gitops.io/v1alpha1',
        kind: 'RegistryMirror',
        metadata: doc.metadata,
        spec,
      };
      assert.ok(ours(asOurs), JSON.stringify(ours.errors));
      assert.deepEqual(registryMirrorKind.check?.(spec), []);
      const objects = registryMirrorKind.render(
        {
          key: `RegistryMirror/${doc.metadata.name}`,
          kind: 'RegistryMirror',
          name: doc.metadata.name,
          spec,
          origin: { file: 'm.yaml', line: 1, apiVersion: 'k8s.osp.tech/v1', kind: 'RegistryMirror' },
        },
        {
          namespace: 'default',
          // mirror-operator required DOCKER_CERTIFICATE_SECRET: so does its hostess mode here.
          settings: { ...DEFAULT_SETTINGS, registryMirror: { tlsSecretName: 'mirror-tls' } },
          commit: { sha: 'b'.repeat(40), author: 't', date: '2026-01-01T00:00:00Z', message: 'm' },
          live: [],
          observed: undefined,
        },
      ) as Loose[];
      const masquerade = doc.spec.masqueradeUrl ?? `mirror-${doc.spec.upstreamUrl}`;
      const ds = objects.find((o) => o.kind === 'DaemonSet')!;
      assert.equal(ds.metadata.name, `registry-mirror-${doc.metadata.name}-utils`);
      assert.ok(ds.spec.template.spec.containers[0].command[2].includes(`'${masquerade}'`));
      assert.equal(objects.find((o) => o.kind === 'StatefulSet')!.spec.replicas, 2);
      assert.equal(
        objects.find(
          (o) => o.metadata.name === `registry-mirror-${doc.metadata.name}` && o.kind === 'Service',
        )!.spec.ports[0].port,
        443,
      );
    }
  });

  it('accepts our own samples', () => {
    const validate = schema('registry-mirror.schema.json');
    const docs = documents('sample-repo/registry-mirror/docker-hub.yaml');
    assert.equal(docs.length, 2);
    for (const doc of docs) {
      assert.ok(validate(doc), JSON.stringify(validate.errors));
      assert.deepEqual(registryMirrorKind.check?.(doc.spec), []);
    }
  });
});
