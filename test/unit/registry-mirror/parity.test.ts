import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { mirrorOperatorSettings, parsePythonLiteral } from '../../../src/config/mirror-operator-settings.js';
import { DEFAULT_SETTINGS, settingsFromEnv } from '../../../src/config/settings.js';
import { registryMirrorKind } from '../../../src/kinds/registry-mirror/index.js';
import { convertMirrorOperator } from '../../../src/kinds/registry-mirror/mirror-operator.js';
import { observeRegistryMirror } from '../../../src/kinds/registry-mirror/observe.js';
import { CREDENTIALS_HASH_ANNOTATION } from '../../../src/kinds/registry-mirror/render-registry.js';
import type { RegistryMirrorSpec } from '../../../src/kinds/registry-mirror/types.js';
import type { ObserveContext, RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested fields of rendered objects
type Loose = any;

const OPERATOR_API = 'k8s.osp.tech/v1';
const OURS_API = 'image-gitops.io/v1alpha1';

function manifest(spec: RegistryMirrorSpec, apiVersion = OURS_API): Manifest<RegistryMirrorSpec> {
  return {
    key: 'RegistryMirror/hub',
    kind: 'RegistryMirror',
    name: 'hub',
    spec,
    origin: { file: 'mirror.yaml', line: 1, apiVersion, kind: 'RegistryMirror' },
  };
}

function render(
  spec: RegistryMirrorSpec,
  options: { env?: Record<string, string>; apiVersion?: string; observed?: unknown } = {},
): Loose[] {
  const settings = options.env
    ? { ...DEFAULT_SETTINGS, registryMirror: mirrorOperatorSettings(options.env) }
    : DEFAULT_SETTINGS;
  const context: RenderContext = {
    namespace: 'mirrors',
    settings,
    commit: { sha: 'a'.repeat(40), author: 't', date: '2026-01-01T00:00:00Z', message: 't' },
    live: [],
    observed: options.observed,
  };
  return registryMirrorKind.render(manifest(spec, options.apiVersion), context) as Loose[];
}

const of = (objects: Loose[], kind: string) => objects.find((o) => o.kind === kind);

describe("mirror-operator's operator-wide settings, read by the reconciler", () => {
  it('reads its environment with the formats it had: Python literals, comma lists, names', () => {
    const settings = mirrorOperatorSettings({
      SS_DS_LABELS: "{'team': 'infra'}",
      SS_DS_TEMPLATE_LABELS: '{"tier": "cache"}',
      SS_DS_TOLERATIONS:
        "[{'key': 'dedicated', 'operator': 'Equal', 'value': 'mirror', 'effect': 'NoSchedule', 'toleration_seconds': None}]",
      IMAGE_PULL_SECRETS: 'hub-pull, quay-pull',
      CA_CERTIFICATE_BUNDLE: 'corp-ca',
      ADDRESSING_SCHEME: 'hostess',
      DOCKER_CERTIFICATE_SECRET: 'mirror-tls',
    });
    assert.deepEqual(settings, {
      labels: { team: 'infra' },
      podLabels: { tier: 'cache' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'mirror', effect: 'NoSchedule' }],
      imagePullSecrets: ['hub-pull', 'quay-pull'],
      upstreamCaConfigMap: 'corp-ca',
      nodeConfig: 'hosts',
      tlsSecretName: 'mirror-tls',
    });
    assert.deepEqual(settingsFromEnv({ DOCKER_CERTIFICATE_SECRET: 'mirror-tls' }).registryMirror, {
      tlsSecretName: 'mirror-tls',
    });
    assert.deepEqual(parsePythonLiteral("{'a': [1, True, None], \"b\": ('x',)}"), {
      a: [1, true, null],
      b: ['x'],
    });
  });

  it('refuses what it cannot honour, at start: ImageSwap addressing, a malformed literal', () => {
    assert.throws(
      () => mirrorOperatorSettings({ ADDRESSING_SCHEME: 'services' }),
      /ImageSwap.*not supported/,
    );
    assert.throws(() => mirrorOperatorSettings({ SS_DS_LABELS: '{team: infra}' }), /SS_DS_LABELS/);
    assert.throws(
      () => mirrorOperatorSettings({ SS_DS_TOLERATIONS: '{"operator": "Exists"}' }),
      /SS_DS_TOLERATIONS/,
    );
  });

  it('applies them to every RegistryMirror, ours and mirror-operator files alike, the manifest winning', () => {
    const env = {
      SS_DS_LABELS: "{'team': 'infra', 'tier': 'x'}",
      SS_DS_TEMPLATE_LABELS: "{'scrape': 'yes'}",
      SS_DS_TOLERATIONS: "[{'operator': 'Exists'}]",
      IMAGE_PULL_SECRETS: 'hub-pull',
      CA_CERTIFICATE_BUNDLE: 'corp-ca',
    };
    for (const apiVersion of [OURS_API, OPERATOR_API]) {
      const objects = render(
        { upstreamUrl: 'hub.docker.io', labels: { tier: 'cache' }, tls: { secretName: 'hub-tls' } },
        { env, apiVersion },
      );
      for (const kind of ['StatefulSet', 'DaemonSet']) {
        const object = of(objects, kind);
        assert.equal(object.metadata.labels.team, 'infra', kind);
        assert.equal(object.metadata.labels.tier, 'cache', `${kind}: the manifest's label wins`);
        assert.equal(object.spec.template.metadata.labels.scrape, 'yes', kind);
        assert.deepEqual(object.spec.template.spec.imagePullSecrets, [{ name: 'hub-pull' }], kind);
        assert.deepEqual(object.spec.template.spec.tolerations, [{ operator: 'Exists' }], kind);
      }
      const sts = of(objects, 'StatefulSet');
      assert.ok(sts.spec.template.spec.volumes.some((v: Loose) => v.configMap?.name === 'corp-ca'));
    }
    const own = render({ upstreamUrl: 'quay.io', imagePullSecrets: ['own-pull'] }, { env });
    assert.deepEqual(of(own, 'StatefulSet').spec.template.spec.imagePullSecrets, [{ name: 'own-pull' }]);
  });

  it('takes ADDRESSING_SCHEME as the addressing of manifests that name none, mirror-operator files included', () => {
    const alias = render(
      { upstreamUrl: 'hub.docker.io', replicas: 2 },
      { env: { ADDRESSING_SCHEME: 'containerd' }, apiVersion: OPERATOR_API },
    );
    assert.match(of(alias, 'DaemonSet').spec.template.spec.containers[0].command[2], /hosts\.toml/);
    const pinned = render(
      { upstreamUrl: 'quay.io', nodeConfig: 'none' },
      { env: { ADDRESSING_SCHEME: 'containerd' } },
    );
    assert.equal(of(pinned, 'DaemonSet'), undefined);
  });
});

describe('RegistryMirror tolerations', () => {
  it('reach the node DaemonSet too, with nodes.tolerations added', () => {
    const objects = render({
      upstreamUrl: 'quay.io',
      tolerations: [{ key: 'mirror', operator: 'Exists' }],
      nodes: {
        tolerations: [
          { key: 'gpu', operator: 'Exists' },
          { key: 'mirror', operator: 'Exists' },
        ],
      },
    });
    assert.deepEqual(of(objects, 'StatefulSet').spec.template.spec.tolerations, [
      { key: 'mirror', operator: 'Exists' },
    ]);
    assert.deepEqual(of(objects, 'DaemonSet').spec.template.spec.tolerations, [
      { key: 'mirror', operator: 'Exists' },
      { key: 'gpu', operator: 'Exists' },
    ]);
  });
});

describe('RegistryMirror credentials', () => {
  const spec: RegistryMirrorSpec = {
    upstreamUrl: 'registry.example.com',
    credentialsSecret: 'upstream-creds',
  };
  const observeWith = (data: Record<string, string> | undefined) =>
    observeRegistryMirror(manifest(spec), {
      namespace: 'mirrors',
      readSecret: async (namespace: string, name: string) => {
        assert.deepEqual([namespace, name], ['mirrors', 'upstream-creds']);
        return data;
      },
    } as unknown as ObserveContext);
  const annotation = (observed: unknown) =>
    of(render(spec, { observed }), 'StatefulSet').spec.template.metadata.annotations[
      CREDENTIALS_HASH_ANNOTATION
    ];

  it('roll the registry when the password inside the same Secret changes: a hash, never the content', async () => {
    const before = await observeWith({ username: 'robot', password: 'hunter2', unrelated: 'a' });
    const same = await observeWith({ username: 'robot', password: 'hunter2', unrelated: 'b' });
    const after = await observeWith({ username: 'robot', password: 'correct horse' });
    assert.match(before.credentialsHash ?? '', /^[0-9a-f]{16}$/);
    assert.equal(annotation(before), before.credentialsHash);
    assert.equal(annotation(same), annotation(before), 'other keys of the Secret do not roll it');
    assert.notEqual(annotation(after), annotation(before));
    const rendered = JSON.stringify(render(spec, { observed: after }));
    for (const secret of ['robot', 'correct horse', Buffer.from('correct horse').toString('base64')])
      assert.ok(!rendered.includes(secret), `${secret} is not rendered`);
  });

  it('add nothing without credentials, or when the Secret is missing (the Secret rule reports it)', async () => {
    assert.deepEqual(await observeWith(undefined), {});
    assert.equal(annotation({}), undefined);
  });
});

describe("mirror-operator's masquerade (hostess) mode", () => {
  const hostess: RegistryMirrorSpec = { upstreamUrl: 'registry.my.org', nodeConfig: 'hosts' };

  it('serves TLS on 443 with the certificate of DOCKER_CERTIFICATE_SECRET, as mirror-operator did', () => {
    const objects = render(hostess, { env: { DOCKER_CERTIFICATE_SECRET: 'mirror-tls' } });
    const config = parse(of(objects, 'ConfigMap').data['config.yml']);
    assert.deepEqual(config.http.tls, {
      certificate: '/etc/registry/tls/tls.crt',
      key: '/etc/registry/tls/tls.key',
    });
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === 'registry-mirror-hub');
    assert.equal(service.spec.ports[0].port, 443);
    const pod = of(objects, 'StatefulSet').spec.template.spec;
    assert.ok(pod.volumes.some((v: Loose) => v.secret?.secretName === 'mirror-tls'));
    assert.equal(pod.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
  });

  it('refuses to serve the masquerade name over plain HTTP: no certificate, no hosts mode', () => {
    assert.throws(() => render(hostess), /HTTPS: give tls\.secretName, or set DOCKER_CERTIFICATE_SECRET/);
    assert.throws(
      () => render({ upstreamUrl: 'hub.docker.io', replicas: 2 }, { apiVersion: OPERATOR_API }),
      /DOCKER_CERTIFICATE_SECRET/,
    );
  });

  it("puts the mirror's certificate where Docker and containerd look for the masquerade name", () => {
    const objects = render(hostess, { env: { DOCKER_CERTIFICATE_SECRET: 'mirror-tls' } });
    const pod = of(objects, 'DaemonSet').spec.template.spec;
    const hostPaths = pod.volumes.filter((v: Loose) => v.hostPath).map((v: Loose) => v.hostPath.path);
    assert.deepEqual(hostPaths, ['/etc/hosts', '/etc/docker/certs.d', DEFAULT_SETTINGS.containerdConfigPath]);
    assert.ok(pod.volumes.some((v: Loose) => v.secret?.secretName === 'mirror-tls'));
    const script = pod.containers[0].command[2];
    assert.match(script, /\$DOCKER_CERTS_DIR\/mirror-registry\.my\.org\/image-gitops-mirrors-hub\.crt/);
    assert.match(script, /\$CERTS_DIR\/mirror-registry\.my\.org\/image-gitops-mirrors-hub\.crt/);
    const env = Object.fromEntries(pod.containers[0].env.map((e: Loose) => [e.name, e.value]));
    assert.equal(env.DOCKER_CERTS_DIR, '/host/docker-certs.d');
    assert.equal(env.CERTS_DIR, '/host/certs.d');
  });

  it("accepts tls in mirror-operator's files, through the alias", () => {
    const validate = new Ajv({ allErrors: true }).compile<Loose>(
      JSON.parse(readFileSync('schemas/k8s.osp.tech-registrymirror.schema.json', 'utf8')),
    );
    const doc = {
      apiVersion: OPERATOR_API,
      kind: 'RegistryMirror',
      metadata: { name: 'hub' },
      spec: { upstreamUrl: 'hub.docker.io', tls: { secretName: 'hub-tls' } },
    };
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    const spec = convertMirrorOperator(doc);
    assert.deepEqual(spec.tls, { secretName: 'hub-tls' });
    const objects = render(spec, { apiVersion: OPERATOR_API });
    assert.ok(
      of(objects, 'DaemonSet').spec.template.spec.containers[0].command[2].includes("'mirror-hub.docker.io'"),
    );
    assert.equal(
      parse(of(objects, 'ConfigMap').data['config.yml']).http.tls.certificate,
      '/etc/registry/tls/tls.crt',
    );
  });
});
