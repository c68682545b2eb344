// No Secret value reaches any output: every CLI command at debug log level, text and JSON, and the Events,
// over a repo whose ImageSync reads a labelled registry Secret (merged into the copy Jobs' auth Secret).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../src/core/kube-object.js';
import { type EngineHarness, startEngine } from '../support/engine-harness.js';
import { pushTestImage } from '../support/oci-image.js';
import { cliCommand, spawnTracked } from '../support/processes.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { makeTempDir } from '../support/tmp.js';

const USER = 'pusher';
const NEXT_USER = 'pusher-next';
const PASSWORD = 'pw-of-the-destination-7f3a9c';
const NEXT_PASSWORD = 'pw-rotated-41d8e2b6c0';

function imageSyncManifest(source: TestRegistry, destination: TestRegistry): string {
  return `apiVersion: image-gitops.io/v1alpha1
kind: ImageSync
metadata:
  name: team-app
spec:
  source:
    image: ${source.host}/team/app
  destination:
    image: ${destination.host}/team/app
  tags:
    pattern: v1.x.x
  registries:
    - host: ${source.host}
      tlsVerify: false
    - host: ${destination.host}
      tlsVerify: false
      credentialsSecret: dest-creds
`;
}

function credentials(namespace: string, host: string, user: string, password: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'dest-creds', namespace, labels: { 'image-gitops.io/usable-by-manifests': 'true' } },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(dockerConfig(host, user, password)) },
  };
}

function dockerConfig(host: string, user: string, password: string): string {
  return JSON.stringify({
    auths: { [host]: { username: user, password, auth: b64(`${user}:${password}`) } },
  });
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Every form a value could leak in: itself, base64 of it, of `user:password`, of the whole config. */
function secretStrings(host: string, user: string, password: string): string[] {
  return [password, b64(password), b64(`${user}:${password}`), b64(dockerConfig(host, user, password))];
}

function cli(h: EngineHarness, args: string[]): Promise<{ code: number; output: string }> {
  const child = spawnTracked(...cliCommand(...args), {
    env: {
      ...process.env,
      GIT_URL: h.config.git.url,
      NAMESPACE: h.namespace,
      KUBECONFIG: h.cp.kubeconfigPath,
      GIT_CACHE_DIR: join(makeTempDir('cli-git'), 'repo'),
      IMAGE_GITOPS_INSTANCE: h.config.settings.instance,
      LOG_LEVEL: 'debug',
    },
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) =>
      resolve({ code: code ?? -1, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

describe('Secret values in no output', function () {
  this.timeout(300_000);
  let source: TestRegistry;
  let destination: TestRegistry;
  let h: EngineHarness | undefined;

  before(async () => {
    [source, destination] = await Promise.all([
      startRegistry(),
      startRegistry({
        auth: { username: USER, password: PASSWORD },
        moreUsers: [{ username: NEXT_USER, password: NEXT_PASSWORD }],
      }),
    ]);
    for (const tag of ['v1.0.0', 'v1.1.0']) await pushTestImage(source, 'team/app', tag);
  });
  after(async () => {
    await h?.close();
    await Promise.all([source, destination].filter(Boolean).map((r) => r.stop()));
  });

  it('every command at debug level, text and JSON, and the Events: which Secret and keys change, no value', async () => {
    const files = { 'team-app.yaml': imageSyncManifest(source, destination) };
    h = await startEngine(files);
    await h.kube.apply(credentials(h.namespace, destination.host, USER, PASSWORD));
    const dir = makeTempDir('secret-repo');
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);

    const outputs: { command: string; output: string }[] = [];
    const run = async (...args: string[]) => {
      const result = await cli(h!, args);
      outputs.push({ command: args.join(' '), output: result.output });
      return result;
    };
    await run('validate', dir);
    await run('validate', dir, '--output', 'json');
    const planned = await run('diff');
    assert.equal(planned.code, 1, planned.output);
    assert.match(planned.output, /### create v1 Secret /, 'the rendered auth Secret is in the diff');
    await run('diff', '--output', 'json');
    const synced = await run('sync', '--once', '--verbose');
    assert.equal(synced.code, 0, synced.output);
    await run('diff', '--output', 'json');

    // The password is rotated in the cluster: the rendered Secret changes, and the diff says which key.
    await h.kube.apply(credentials(h.namespace, destination.host, NEXT_USER, NEXT_PASSWORD));
    const rotated = await run('diff');
    assert.equal(rotated.code, 1, rotated.output);
    assert.match(rotated.output, /### update v1 Secret /);
    await run('diff', '--output', 'json');
    await run('diff', '--output', 'markdown');
    await run('sync', '--once', '--output', 'json');
    await run('status');
    await run('status', '--output', 'json');
    await run('history');
    await run('history', '--output', 'json');
    const events = await h.kube.list({ apiVersion: 'v1', kind: 'Event' }, h.namespace);
    outputs.push({ command: 'Events', output: JSON.stringify(events) });
    assert.ok(events.length > 0, 'Events were sent');

    const secrets = [
      ...secretStrings(destination.host, USER, PASSWORD),
      ...secretStrings(destination.host, NEXT_USER, NEXT_PASSWORD),
    ];
    // Base64 runs are read too: a value inside a base64-encoded file (the Jobs' auth file) is a value shown.
    const decoded = (text: string) =>
      (text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((run) =>
        Buffer.from(run, 'base64').toString('latin1'),
      );
    const leaks = outputs.flatMap(({ command, output }) =>
      secrets
        .filter((s) => output.includes(s) || decoded(output).some((d) => d.includes(s)))
        .map((s) => `${command}: ${s}`),
    );
    assert.deepEqual(leaks, []);
    // What a reviewer does see: the Secret changes, and which key.
    assert.match(rotated.output, /^\+ {2}auth\.json: \(hidden, changed\)$/m);
    assert.ok(
      outputs.some((o) => o.output.includes('"level":"debug"') && o.output.includes('v1 Secret')),
      'debug lines about the Secret were written',
    );
  });
});
