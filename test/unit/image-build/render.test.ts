import assert from 'node:assert/strict';
import { ImageGitopsError } from '../../../src/core/errors.js';
import { renderImageBuild } from '../../../src/kinds/image-build/render.js';
import {
  buildContainer,
  buildManifest,
  buildScript,
  byKind,
  COMMIT_A,
  COMMIT_B,
  only,
  podSpec,
  renderContext,
  repoFiles,
} from './fixtures.js';

function jobName(objects: ReturnType<typeof renderImageBuild>): string {
  return only(objects, 'Job').metadata.name;
}

describe('ImageBuild render', () => {
  it('is deterministic: the same inputs give the same objects', () => {
    const first = renderImageBuild(buildManifest(), renderContext());
    const second = renderImageBuild(buildManifest(), renderContext());
    assert.deepEqual(first, second);
    assert.deepEqual(
      first.map((o) => o.kind),
      ['ConfigMap', 'Job'],
    );
  });

  it('packs the context into an immutable ConfigMap named by its content, mounted by the Job', () => {
    const objects = renderImageBuild(buildManifest(), renderContext());
    const configMap = only(objects, 'ConfigMap');
    assert.equal(configMap.immutable, true);
    assert.match(configMap.metadata.name, /^app-context-[0-9a-f]{10}$/);
    assert.ok((configMap.binaryData as Record<string, string>)['context.tar']);
    const volumes = podSpec(only(objects, 'Job')).volumes as Array<{ configMap?: { name: string } }>;
    assert.ok(volumes.some((v) => v.configMap?.name === configMap.metadata.name));
  });

  describe('Job name', () => {
    const base = jobName(renderImageBuild(buildManifest(), renderContext()));

    it('stays the same at a new commit when the context is unchanged', () => {
      const files = repoFiles({ 'other/readme.md': 'changed outside the context' });
      assert.equal(
        jobName(renderImageBuild(buildManifest(), renderContext({ files, commit: COMMIT_B }))),
        base,
      );
    });

    it('changes when the Dockerfile changes', () => {
      const files = repoFiles({
        'image-build/app/Dockerfile': 'FROM busybox:1.37\nCOPY hello.txt /hello.txt\n',
      });
      assert.notEqual(jobName(renderImageBuild(buildManifest(), renderContext({ files }))), base);
    });

    it('changes when a context file is added, changed or removed', () => {
      const changes: Array<Record<string, string | null>> = [
        { 'image-build/app/extra.txt': 'new' },
        { 'image-build/app/hello.txt': 'bonjour\n' },
        { 'image-build/app/hello.txt': null },
      ];
      for (const change of changes) {
        const files = repoFiles(change);
        assert.notEqual(
          jobName(renderImageBuild(buildManifest(), renderContext({ files }))),
          base,
          JSON.stringify(change),
        );
      }
    });

    it('changes when build args, target or architectures change', () => {
      for (const spec of [
        { buildArgs: { A: '1' } },
        { target: 'runtime' },
        { architectures: ['amd64', 'arm64'] as const },
      ]) {
        const manifest = buildManifest({
          ...spec,
          architectures: spec.architectures ? [...spec.architectures] : undefined,
        });
        assert.notEqual(jobName(renderImageBuild(manifest, renderContext())), base, JSON.stringify(spec));
      }
    });

    it('keeps the commit of the live Job of the same name instead of the newer commit', () => {
      const first = renderImageBuild(buildManifest(), renderContext({ commit: COMMIT_A }));
      const liveJob = only(first, 'Job');
      const later = renderImageBuild(buildManifest(), renderContext({ commit: COMMIT_B, live: [liveJob] }));
      assert.deepEqual(only(later, 'Job'), liveJob);
      assert.match(buildScript(liveJob), new RegExp(`org.opencontainers.image.revision=${COMMIT_A}`));
      const fresh = renderImageBuild(buildManifest(), renderContext({ commit: COMMIT_B }));
      assert.match(
        buildScript(only(fresh, 'Job')),
        new RegExp(`org.opencontainers.image.revision=${COMMIT_B}`),
      );
    });
  });

  it('keeps the finished build Job (no TTL), so the same content is never built twice', () => {
    const job = only(renderImageBuild(buildManifest(), renderContext()), 'Job');
    assert.equal((job.spec as Record<string, unknown>).ttlSecondsAfterFinished, undefined);
  });

  it('tags with the commit by default, and fills {{shortCommit}}', () => {
    const byDefault = only(renderImageBuild(buildManifest(), renderContext()), 'Job');
    assert.match(buildScript(byDefault), new RegExp(`docker://registry.example.com/team/app:${COMMIT_A}`));
    const short = only(
      renderImageBuild(buildManifest({ tag: 'v1-{{shortCommit}}' }), renderContext()),
      'Job',
    );
    assert.match(
      buildScript(short),
      new RegExp(`docker://registry.example.com/team/app:v1-${COMMIT_A.slice(0, 12)}`),
    );
  });

  it('runs the build as root without privilege, with the least capabilities and resources', () => {
    const job = only(renderImageBuild(buildManifest(), renderContext()), 'Job');
    const build = buildContainer(job);
    const security = build.securityContext as Record<string, unknown>;
    assert.equal(security.privileged, false);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.equal(security.runAsUser, 0);
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.deepEqual(security.capabilities, {
      drop: ['ALL'],
      add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETFCAP', 'SETGID', 'SETUID'],
    });
    assert.ok(!(security.capabilities as { add: string[] }).add.includes('SYS_ADMIN'));
    const resources = build.resources as { requests: Record<string, string>; limits: Record<string, string> };
    assert.ok(resources.requests.cpu && resources.requests.memory && resources.limits.memory);
    assert.equal(podSpec(job).automountServiceAccountToken, false);
    const init = podSpec(job).initContainers?.[0] as { securityContext: Record<string, unknown> };
    assert.equal(init.securityContext.runAsNonRoot, true);
    assert.deepEqual(init.securityContext.capabilities, { drop: ['ALL'] });
  });

  it('takes resources from the spec', () => {
    const manifest = buildManifest({
      resources: { requests: { cpu: '2', memory: '3Gi' }, limits: { memory: '6Gi' } },
    });
    const build = buildContainer(only(renderImageBuild(manifest, renderContext()), 'Job'));
    assert.deepEqual(build.resources, { requests: { cpu: '2', memory: '3Gi' }, limits: { memory: '6Gi' } });
  });

  it('writes the pushed digest to the termination message', () => {
    const build = buildContainer(only(renderImageBuild(buildManifest(), renderContext()), 'Job'));
    assert.equal(build.terminationMessagePolicy, 'FallbackToLogsOnError');
    assert.ok(build.env?.some((e) => e.name === 'DIGEST_FILE' && e.value === '/dev/termination-log'));
    assert.match(
      buildScript(only(renderImageBuild(buildManifest(), renderContext()), 'Job')),
      /--digestfile "\$\{DIGEST_FILE\}"/,
    );
  });

  it('ships merged credentials as an authfile Secret, never in args or env', () => {
    const observed = {
      authFile: {
        auths: { 'registry.example.com': { auth: Buffer.from('u:secret-pw').toString('base64') } },
      },
    };
    const objects = renderImageBuild(buildManifest(), renderContext({ observed }));
    const secret = only(objects, 'Secret');
    assert.equal(secret.metadata.name, 'app-build-auth');
    const job = only(objects, 'Job');
    assert.match(buildScript(job), /--authfile "\$\{REGISTRY_AUTH_FILE\}"/);
    assert.doesNotMatch(JSON.stringify(job), /secret-pw|dTpzZWNyZXQtcHc/);
  });

  it('adds a CronJob with the same build when rebuilding on a schedule', () => {
    const objects = renderImageBuild(buildManifest({ schedule: '1d' }), renderContext());
    const cron = only(objects, 'CronJob');
    const spec = cron.spec as { schedule: string; jobTemplate: { spec: { template: unknown } } };
    assert.equal(spec.schedule, '0 0 * * *');
    assert.deepEqual(
      spec.jobTemplate.spec.template,
      (only(objects, 'Job').spec as { template: unknown }).template,
    );
  });

  it('renders a registries.conf for registries without TLS verification and pushes with --tls-verify=false', () => {
    const manifest = buildManifest({
      image: '127.0.0.1:5000/team/app',
      registries: [{ host: '127.0.0.1:5000', tlsVerify: false }],
    });
    const script = buildScript(only(renderImageBuild(manifest, renderContext()), 'Job'));
    assert.match(script, /export CONTAINERS_REGISTRIES_CONF="\$\{WORKSPACE\}"\/registries.conf/);
    assert.match(script, /push --format=oci --tls-verify=false/);
    const secure = buildScript(only(renderImageBuild(buildManifest(), renderContext()), 'Job'));
    assert.doesNotMatch(secure, /tls-verify|CONTAINERS_REGISTRIES_CONF/);
  });

  it('reports a context over the bound as a Problem naming the file', () => {
    const files = repoFiles({ 'image-build/app/assets/big.bin': 'x'.repeat(600 * 1024) });
    assert.throws(
      () => renderImageBuild(buildManifest(), renderContext({ files })),
      (error: unknown) => {
        assert.ok(error instanceof ImageGitopsError);
        const problem = error.toProblem();
        assert.equal(problem.code, 'FILE_TOO_LARGE');
        assert.match(problem.message, /image-build\/app\/assets\/big\.bin \(600 KiB\)/);
        assert.match(problem.message, /512 KiB/);
        assert.deepEqual(problem.location, {
          file: 'image-build/app.yaml',
          line: 1,
          field: '/spec/context/path',
        });
        return true;
      },
    );
  });

  it('reports a missing Dockerfile at spec.dockerfile', () => {
    assert.throws(
      () => renderImageBuild(buildManifest({ dockerfile: 'Containerfile' }), renderContext()),
      (error: unknown) =>
        error instanceof ImageGitopsError &&
        error.location?.field === '/spec/dockerfile' &&
        /Containerfile.*image-build\/app/.test(error.message),
    );
  });

  it('builds an inline Dockerfile without a context folder', () => {
    const manifest = buildManifest({ context: undefined, inline: 'FROM busybox\nRUN true\n' });
    const objects = renderImageBuild(manifest, renderContext());
    assert.match(buildScript(only(objects, 'Job')), /--file "\$\{WORKSPACE\}"\/Containerfile.inline/);
    assert.equal(byKind(objects, 'ConfigMap').length, 1);
  });
});
