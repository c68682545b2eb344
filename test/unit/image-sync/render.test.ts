import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/core/kube-object.js';
import { jobCommand } from '../../../src/jobs/job-template.js';
import { renderImageSync, SYNC_COPIES_ANNOTATION } from '../../../src/kinds/image-sync/render.js';
import type { ImageSyncSpec } from '../../../src/kinds/image-sync/spec.js';
import { buildAuthFile } from '../../../src/registry/credentials.js';
import { context, observed, pendingTags, syncManifest } from './fixtures.js';

const PATTERN_SPEC: ImageSyncSpec = {
  source: { image: 'quay.io/argoproj/argocd' },
  destination: { image: 'registry.example.com/argoproj/argocd' },
  tags: { pattern: 'v1.x.x' },
};

const jobsOf = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'Job');
const scriptOf = (object: KubeObject) => jobCommand(object)?.[2] ?? '';
const podSpecOf = (job: KubeObject) =>
  (job.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
    securityContext: Record<string, unknown>;
    containers: Array<Record<string, unknown> & { env: Array<{ name: string; value: string }> }>;
    volumes: Array<Record<string, unknown>>;
    automountServiceAccountToken: boolean;
  };

describe('ImageSync render: batching', () => {
  it('turns 500 pending tags into at most maxJobsPerManifest Jobs of tagsPerJob copies', () => {
    const objects = renderImageSync(
      syncManifest(PATTERN_SPEC),
      context(observed(pendingTags(500)), { settings: { maxJobsPerManifest: 4, tagsPerJob: 7 } }),
    );
    const jobs = jobsOf(objects);
    assert.equal(jobs.length, 4);
    for (const job of jobs) {
      const lines = scriptOf(job).trim().split('\n');
      assert.equal(lines.length, 7);
      assert.ok(lines.every((line) => line.startsWith('skopeo copy ')));
    }
    // The newest pending copies go first, in order.
    assert.match(scriptOf(jobs[0]!), /argocd:v1\.0\.0 /);
  });

  it('does not start new Jobs for tags a live active Job already copies, and keeps that Job', () => {
    const manifest = syncManifest(PATTERN_SPEC);
    const settings = { maxJobsPerManifest: 2, tagsPerJob: 3 };
    const first = jobsOf(renderImageSync(manifest, context(observed(pendingTags(10)), { settings })));
    assert.equal(first.length, 2);
    const live = first.map((job) => ({ ...job, status: { active: 1 } }));
    const second = jobsOf(renderImageSync(manifest, context(observed(pendingTags(10)), { settings, live })));
    assert.deepEqual(
      second.map((j) => j.metadata.name),
      first.map((j) => j.metadata.name),
    );
  });

  it('starts the next batch when a live Job has completed', () => {
    const manifest = syncManifest(PATTERN_SPEC);
    const settings = { maxJobsPerManifest: 1, tagsPerJob: 3 };
    const [first] = jobsOf(renderImageSync(manifest, context(observed(pendingTags(6)), { settings })));
    const done = { ...first!, status: { conditions: [{ type: 'Complete', status: 'True' }] } };
    const remaining = pendingTags(6).slice(3);
    const next = jobsOf(renderImageSync(manifest, context(observed(remaining), { settings, live: [done] })));
    assert.equal(next.length, 2);
    assert.equal(next[0]!.metadata.name, first!.metadata.name);
    assert.deepEqual(
      JSON.parse(next[1]!.metadata.annotations![SYNC_COPIES_ANNOTATION]!).map(
        (c: { sourceRef: string }) => c.sourceRef,
      ),
      remaining.map((c) => c.sourceRef),
    );
  });

  it('renders no Job when nothing is pending', () => {
    assert.deepEqual(renderImageSync(syncManifest(PATTERN_SPEC), context(observed([]))), []);
  });

  it('names Jobs deterministically: same input, same names; a moved tag, another name', () => {
    const manifest = syncManifest(PATTERN_SPEC);
    const a = jobsOf(renderImageSync(manifest, context(observed(pendingTags(3)))));
    const b = jobsOf(renderImageSync(manifest, context(observed(pendingTags(3)))));
    assert.deepEqual(a, b);
    assert.match(a[0]!.metadata.name, /^argocd-sync-[0-9a-f]{10}$/);
    const moved = pendingTags(3).map((c, i) => (i === 0 ? { ...c, digest: `sha256:${'f'.repeat(64)}` } : c));
    const c = jobsOf(renderImageSync(manifest, context(observed(moved))));
    assert.notEqual(c[0]!.metadata.name, a[0]!.metadata.name);
  });
});

describe('ImageSync render: Job security', () => {
  const [job] = jobsOf(
    renderImageSync(
      syncManifest({
        source: { image: 'nginx', tag: '1.27' },
        destination: { image: 'registry.example.com/nginx' },
      }),
      context(observed([{ sourceRef: '1.27', digest: `sha256:${'a'.repeat(64)}` }])),
    ),
  );

  it('runs skopeo non-root with a read-only root, no privilege escalation, no capabilities, seccomp', () => {
    const pod = podSpecOf(job!);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(pod.automountServiceAccountToken, false);
    const container = pod.containers[0]!;
    assert.deepEqual(container.securityContext, {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(container.image, 'quay.io/skopeo/stable:v1.16.1');
    assert.ok(pod.volumes.some((v) => v.name === 'tmp' && 'emptyDir' in v));
    assert.deepEqual(
      container.env.filter((e) => e.name === 'HOME' || e.name === 'TMPDIR').map((e) => e.value),
      ['/tmp', '/tmp'],
    );
  });

  it('takes backoffLimit, deadline, ttl and resources from Settings.jobs', () => {
    const spec = job!.spec as Record<string, unknown>;
    assert.equal(spec.backoffLimit, 3);
    assert.equal(spec.activeDeadlineSeconds, 3600);
    assert.equal(spec.ttlSecondsAfterFinished, 3600);
    assert.deepEqual(podSpecOf(job!).containers[0]!.resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '512Mi' },
    });
  });

  it('copies every platform by default and normalises Docker Hub names', () => {
    assert.equal(
      scriptOf(job!),
      'skopeo copy --all --retry-times 3 docker://docker.io/library/nginx:1.27 docker://registry.example.com/nginx:1.27\n',
    );
  });

  it('copies one chosen platform with --override-os/--override-arch', () => {
    const [one] = jobsOf(
      renderImageSync(
        syncManifest({
          source: { image: 'nginx', tag: '1.27' },
          destination: { image: 'registry.example.com/nginx' },
          platforms: ['linux/arm64/v8'],
        }),
        context(observed([{ sourceRef: '1.27', digest: `sha256:${'a'.repeat(64)}` }])),
      ),
    );
    assert.match(
      scriptOf(one!),
      /^skopeo --override-os linux --override-arch arm64 --override-variant v8 copy --retry-times 3 /,
    );
  });
});

describe('ImageSync render: credentials', () => {
  const password = 's3cr3t-pa$$word';
  const authFile = buildAuthFile(new Map([['quay.io', { username: 'robot', password }]]));
  const objects = renderImageSync(
    syncManifest({
      source: { image: 'quay.io/private/app', tag: 'v1' },
      destination: { image: 'registry.example.com/app' },
      registries: [{ host: 'registry.example.com', tlsVerify: false }],
    }),
    context(
      observed([{ sourceRef: 'v1', digest: `sha256:${'b'.repeat(64)}` }], {
        authFile,
        cas: { 'quay.io': 'PEM' },
      }),
    ),
  );
  const secret = objects.find((o) => o.kind === 'Secret')!;
  const job = jobsOf(objects)[0]!;

  it('renders a Secret with the merged authfile and CA, mounted read-only into the Job', () => {
    const data = secret.data as Record<string, string>;
    assert.deepEqual(JSON.parse(Buffer.from(data['auth.json']!, 'base64').toString()), authFile);
    assert.equal(Buffer.from(data['ca-quay.io.crt']!, 'base64').toString(), 'PEM');
    const pod = podSpecOf(job);
    const volume = pod.volumes.find((v) => v.name === 'authfile') as { secret: { secretName: string } };
    assert.equal(volume.secret.secretName, secret.metadata.name);
    const mounts = pod.containers[0]!.volumeMounts as Array<{ name: string; readOnly?: boolean }>;
    assert.equal(mounts.find((m) => m.name === 'authfile')?.readOnly, true);
  });

  it('passes the authfile, CA folder and TLS setting as paths and flags, never the secret itself', () => {
    const script = scriptOf(job);
    assert.match(script, /--authfile \/etc\/image-gitops\/auth\/auth\.json/);
    assert.match(script, /--src-cert-dir \/etc\/image-gitops\/auth\/certs\/quay\.io/);
    assert.match(script, /--dest-tls-verify=false/);
    const everything = JSON.stringify(job);
    assert.ok(!everything.includes(password));
    assert.ok(!everything.includes(Buffer.from(`robot:${password}`).toString('base64')));
    assert.ok(!everything.includes('robot'));
  });
});

describe('ImageSync render: Recurrent', () => {
  it('renders a CronJob on the schedule, and no Job', () => {
    const objects = renderImageSync(
      syncManifest({
        source: { image: 'quay.io/nginx/nginx-ingress', tag: '3.7-alpine' },
        destination: { image: 'registry.example.com/nginx/nginx-ingress' },
        schedule: '15m',
      }),
      context(observed([])),
    );
    assert.deepEqual(
      objects.map((o) => o.kind),
      ['CronJob'],
    );
    const cron = objects[0]!;
    const spec = cron.spec as { schedule: string; concurrencyPolicy: string };
    assert.equal(spec.schedule, '*/15 * * * *');
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    assert.ok(cron.metadata.name.length <= 52);
    assert.match(
      scriptOf(cron),
      /nginx-ingress:3\.7-alpine docker:\/\/registry\.example\.com\/nginx\/nginx-ingress:3\.7-alpine/,
    );
  });
});
