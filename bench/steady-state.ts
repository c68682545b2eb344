// Issue 15, items 2 and 4: what a steady state costs in registry requests, and tag discovery on 10,000 tags.
//
//   npx tsx bench/steady-state.ts [--tags 50,500] [--discovery 10000]
//
// For each N: loopback docker-registry processes (a source of N tags, each its own digest, and one
// destination per side, both filled once by `skopeo sync`; multi-arch like bench/skopeo.ts), then no-op rounds counted from the registries'
// access logs: ImageSync's observe without stored digests (what every sync cost before), with them (mutable
// tags: conditional HEADs), with `tags.immutable` (after a restart: the memory read back from its JSON, as
// the status store gives it), against `skopeo sync` of the same repository. Then a repository of
// `--discovery` tags (one manifest PUT under each tag): the whole list, `maxTags`, and Link pages of 100
// through a paging proxy. Every registry started here is stopped here, by PID, also on failure.
import { parseArgs } from 'node:util';
import { DEFAULT_SETTINGS } from '../src/config/settings.js';
import { type ImageSyncObserved, observeImageSync } from '../src/kinds/image-sync/observe.js';
import type { ImageSyncSpec } from '../src/kinds/image-sync/spec.js';
import type { Manifest } from '../src/manifests/types.js';
import { DEFAULT_REGISTRY_LIMITS, registryPolicy } from '../src/registry/limits.js';
import { pushTestImage, skopeoSyncArgs } from '../test/support/oci-image.js';
import { runCommand } from '../test/support/processes.js';
import { startRegistry, type TestRegistry } from '../test/support/registry.js';
import { type RegistryProxy, startRegistryProxy } from '../test/support/registry-proxy.js';
import { addTags, type LoggedRequest, trafficMark, trafficSince } from '../test/support/registry-traffic.js';
import { offlineObserveContext } from './generate.js';

const REPO = 'bench/app';
const IMMUTABLE = '^v\\d+\\.\\d+\\.\\d+$';

function manifest(source: string, destination: string, tags: ImageSyncSpec['tags']): Manifest<ImageSyncSpec> {
  return {
    key: 'ImageSync/bench',
    kind: 'ImageSync',
    name: 'bench',
    spec: {
      source: { image: `${source}/${REPO}` },
      destination: { image: `${destination}/mirror/app` },
      tags,
      registries: [
        { host: source, tlsVerify: false },
        { host: destination, tlsVerify: false },
      ],
    },
    origin: { file: 'bench.yaml', line: 1, apiVersion: 'image-gitops.io/v1alpha1', kind: 'ImageSync' },
  };
}

interface Counted {
  requests: number;
  notModified: number;
  writes: number;
  ms: number;
}

async function counted(registries: TestRegistry[], work: () => Promise<unknown>): Promise<Counted> {
  const marks = await Promise.all(registries.map(trafficMark));
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const logged: LoggedRequest[] = (
    await Promise.all(registries.map((r, i) => trafficSince(r, marks[i]!)))
  ).flat();
  return {
    requests: logged.length,
    notModified: logged.filter((r) => r.status === 304).length,
    writes: logged.filter((r) => !['GET', 'HEAD'].includes(r.method)).length,
    ms,
  };
}

async function observe(m: Manifest<ImageSyncSpec>, previous?: unknown): Promise<ImageSyncObserved> {
  const context = offlineObserveContext(DEFAULT_SETTINGS)('bench', []);
  return observeImageSync(m, {
    ...context,
    registry: registryPolicy(DEFAULT_REGISTRY_LIMITS),
    ...(previous !== undefined ? { previous } : {}),
  });
}

async function skopeoSync(source: TestRegistry, destination: TestRegistry): Promise<void> {
  await runCommand('skopeo', skopeoSyncArgs(source, REPO, destination, 'mirror'));
}

const row = (what: string, c: Counted) =>
  `| ${what} | ${c.requests} | ${c.notModified} | ${c.writes} | ${Math.round(c.ms)} ms |`;

async function steadyState(tags: number, started: TestRegistry[]): Promise<string[]> {
  const [source, engineDest, skopeoDest] = await Promise.all([
    startRegistry(),
    startRegistry(),
    startRegistry(),
  ]);
  started.push(source, engineDest, skopeoDest);
  const names = Array.from({ length: tags }, (_, i) => `v1.0.${i}`);
  // Multi-arch, as bench/skopeo.ts: an OCI index of amd64 and arm64; each tag's index its own digest.
  await pushTestImage(source, REPO, names[0]!, { architectures: ['amd64', 'arm64'] });
  await addTags(source, REPO, names[0]!, names.slice(1), { distinct: true });
  await skopeoSync(source, engineDest);
  await skopeoSync(source, skopeoDest);
  const engineSide = [source, engineDest];
  const mutable = manifest(source.host, engineDest.host, { pattern: 'v1.0.x' });
  const immutable = manifest(source.host, engineDest.host, { pattern: 'v1.0.x', immutable: IMMUTABLE });

  let memory: unknown;
  const before = await counted(engineSide, async () => {
    const observed = await observe(mutable);
    if (observed.upToDate !== tags) throw new Error(`no-op expected, got: ${observed.message}`);
    memory = observed.memory;
  });
  const conditional = await counted(engineSide, () => observe(mutable, memory));
  const first = await observe(immutable, memory);
  // A restart: the memory as the status store gives it back (JSON), in a new client and policy.
  const stored = JSON.parse(JSON.stringify(first.memory));
  const after = await counted(engineSide, async () => {
    const observed = await observe(immutable, stored);
    if (observed.unchecked !== tags) throw new Error(`all immutable expected, got: ${observed.message}`);
  });
  const skopeo = await counted([source, skopeoDest], () => skopeoSync(source, skopeoDest));
  return [
    row(`${tags} tags: ImageSync no-op, no stored digests (before)`, before),
    row(`${tags} tags: ImageSync no-op, stored digests, mutable tags (If-None-Match)`, conditional),
    row(`${tags} tags: ImageSync no-op, stored digests, \`tags.immutable\`, after a restart`, after),
    row(`${tags} tags: \`skopeo sync --all\` no-op`, skopeo),
  ];
}

async function discovery(
  count: number,
  started: TestRegistry[],
  proxies: RegistryProxy[],
): Promise<string[]> {
  const [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
  started.push(source, destination);
  const names = Array.from({ length: count }, (_, i) => `v1.${Math.floor(i / 100)}.${i % 100}`);
  await pushTestImage(source, REPO, names[0]!);
  const putStarted = performance.now();
  await addTags(source, REPO, names[0]!, names.slice(1), { concurrency: 16 });
  const putMs = performance.now() - putStarted;
  const proxy = await startRegistryProxy(source, { tagPageSize: 100 });
  proxies.push(proxy);
  const rows: string[] = [];
  const newest = { pattern: 'v1.x.x', newest: 3 };
  const whole = await counted([source], () => observe(manifest(source.host, destination.host, newest)));
  rows.push(row(`${count} tags, one answer (docker-registry 2.8), newest 3 selected`, whole));
  const capped = await counted([source], () =>
    observe(manifest(source.host, destination.host, { pattern: 'v1.x.x', maxTags: 1000, newest: 3 })),
  );
  rows.push(row(`${count} tags, \`maxTags: 1000\` (Truncated)`, capped));
  const paged = await counted([source], () => observe(manifest(proxy.host, destination.host, newest)));
  rows.push(row(`${count} tags in Link pages of 100 (through the paging proxy)`, paged));
  rows.push(`| (${count - 1} tags added by PUT of one manifest: ${Math.round(putMs)} ms) | | | | |`);
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tags: { type: 'string', default: '50,500' }, discovery: { type: 'string', default: '10000' } },
  });
  const started: TestRegistry[] = [];
  const proxies: RegistryProxy[] = [];
  const stop = async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all(started.map((r) => r.stop().catch(() => undefined)));
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    const lines = [
      '| round | registry requests | of which 304 | writes | wall time |',
      '|---|---|---|---|---|',
    ];
    for (const n of values.tags.split(',').map(Number)) lines.push(...(await steadyState(n, started)));
    if (Number(values.discovery) > 0)
      lines.push(...(await discovery(Number(values.discovery), started, proxies)));
    console.log(lines.join('\n'));
  } finally {
    await stop();
  }
}

await main();
