// Hostile registries against the whole engine on the real bench (git server, etcd + kube-apiserver, a real
// docker-registry for the well-behaved side): a registry that trickles one byte every 5 s, one whose tag list
// is a string, one whose tag list holds tags that are not tags. The sync ends, the manifests of the good
// registries apply, and each hostile one fails alone with a message saying why.
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { KubeObject } from '../../src/core/kube-object.js';
import { SyncDeadlineError } from '../../src/run/scheduler.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const JOB = { apiVersion: 'batch/v1', kind: 'Job' } as const;
const DIGEST = `sha256:${'c'.repeat(64)}`;

interface Hostile {
  host: string;
  close(): Promise<void>;
}

async function hostile(handler: http.RequestListener): Promise<Hostile> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A registry that answers every request one byte every 5 s, headers included, for ever: no idle timeout ever
 * fires, and a HEAD never completes.
 */
async function trickle(): Promise<Hostile> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const answer = `HTTP/1.1 200 OK\r\nDocker-Content-Digest: ${DIGEST}\r\nX-Slow: ${'z'.repeat(10_000)}`;
    let i = 0;
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write(answer[i++ % answer.length] ?? 'z');
    }, 5000);
    socket.on('data', () => {
      if (i === 0 && !socket.destroyed) socket.write(answer[i++] ?? 'H');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function tagList(tags: unknown): http.RequestListener {
  return (req, res) => {
    if (req.url?.includes('/tags/list')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ tags }));
      return;
    }
    res.writeHead(200, { 'Docker-Content-Digest': DIGEST }).end();
  };
}

function imageSync(name: string, source: string, destination: string, selector?: string): string {
  return [
    'apiVersion: image-gitops.io/v1alpha1',
    'kind: ImageSync',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  source:',
    `    image: ${source}/team/${name}`,
    ...(selector ? [] : ['    tag: v1']),
    '  destination:',
    `    image: ${destination}/team/${name}`,
    ...(selector ? ['  tags:', `    include: ["${selector}"]`] : []),
    '  registries:',
    `    - host: "${source}"`,
    '      tlsVerify: false',
    `    - host: "${destination}"`,
    '      tlsVerify: false',
    '',
  ].join('\n');
}

function jobsOf(jobs: KubeObject[], name: string): KubeObject[] {
  return jobs.filter((j) => j.metadata.name.includes(name));
}

describe('hostile registries on the real bench', function () {
  this.timeout(300_000);
  let source: TestRegistry;
  let destination: TestRegistry;
  const servers: Hostile[] = [];
  let h: EngineHarness | undefined;
  const saved = process.env.OBSERVE_TIMEOUT_SECONDS;

  before(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    await pushTestImage(source, 'team/good', 'v1');
    process.env.OBSERVE_TIMEOUT_SECONDS = '3';
  });
  after(async () => {
    if (saved === undefined) delete process.env.OBSERVE_TIMEOUT_SECONDS;
    else process.env.OBSERVE_TIMEOUT_SECONDS = saved;
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('applies the manifest of the good registry while the one at a trickling registry fails alone at its deadline', async () => {
    const slow = await trickle();
    servers.push(slow);
    h = await startEngine({
      'good.yaml': imageSync('good', source.host, destination.host),
      'slow.yaml': imageSync('slow', slow.host, destination.host),
    });
    const report = await h.reconciler.sync('manual');
    const byName = new Map(report.manifests.map((m) => [m.name, m]));
    assert.equal(byName.get('good')?.result, 'Applied', JSON.stringify(byName.get('good')));
    assert.equal(byName.get('slow')?.result, 'Failed');
    assert.match(
      JSON.stringify(byName.get('slow')?.problems),
      /observe did not finish within 3 s \(OBSERVE_TIMEOUT_SECONDS\)/,
    );
    assert.equal(report.result, 'PartiallyFailed');
    const jobs = await h.kube.list(JOB, h.namespace);
    assert.equal(jobsOf(jobs, 'good').length, 1, 'the good manifest copies');
    assert.equal(jobsOf(jobs, 'slow').length, 0);
  });

  it('ends a sync that passes its deadline while a registry trickles, and says why', async () => {
    const slow = await trickle();
    servers.push(slow);
    process.env.OBSERVE_TIMEOUT_SECONDS = '600';
    try {
      h = await startEngine({ 'slow.yaml': imageSync('slow', slow.host, destination.host) });
      // As the scheduler aborts a sync past SYNC_DEADLINE_SECONDS.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new SyncDeadlineError(2000)), 2000);
      const report = await h.reconciler.sync('manual', controller.signal);
      clearTimeout(timer);
      assert.equal(report.result, 'Failed');
      assert.match(
        report.error?.message ?? '',
        /sync abandoned: the sync deadline of 2 s passed \(SYNC_DEADLINE_SECONDS\)/,
      );
    } finally {
      process.env.OBSERVE_TIMEOUT_SECONDS = '3';
    }
  });

  it('refuses a tag list of the wrong type, and skips tags that are not tags while copying the good ones', async () => {
    const wrongType = await hostile(tagList('abc'));
    const oddTags = await hostile(tagList(['v1', 'v2;reboot', 'v3 `id`']));
    servers.push(wrongType, oddTags);
    h = await startEngine({
      'wrong.yaml': imageSync('wrong', wrongType.host, destination.host, '.'),
      'odd.yaml': imageSync('odd', oddTags.host, destination.host, '^v'),
    });
    const report = await h.reconciler.sync('manual');
    const byName = new Map(report.manifests.map((m) => [m.name, m]));
    const wrong = byName.get('wrong');
    assert.equal(wrong?.result, 'Failed');
    assert.match(JSON.stringify(wrong?.problems), /the tag list is not valid/);
    const odd = byName.get('odd');
    assert.equal(odd?.result, 'Applied', JSON.stringify(odd));
    assert.match(
      JSON.stringify(odd?.details),
      /2 source tags skipped, not valid tags: \\"v2;reboot\\", \\"v3 `id`\\"/,
    );
    const jobs = await h.kube.list(JOB, h.namespace);
    assert.equal(jobsOf(jobs, 'wrong').length, 0, 'no copy for "a", "b", "c"');
    const oddJobs = jobsOf(jobs, 'odd');
    assert.equal(oddJobs.length, 1);
    const text = JSON.stringify(oddJobs[0]);
    assert.ok(text.includes('team/odd:v1'), 'copies v1');
    assert.ok(!text.includes('reboot') && !text.includes('`id`'), 'nothing of the bad tags reaches the Job');
  });
});
