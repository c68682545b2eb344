// Real OCI registries for tests: Debian's `docker-registry` (distribution v2.8), one process per registry,
// each with its own config (Debian's default config turns htpasswd auth on) and storage in a temp folder.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand, spawnTracked, stopTracked, waitFor } from './processes.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  tls?: boolean;
  /** Runs the registry as a pull-through cache of this upstream (start the upstream first). */
  proxyRemoteUrl?: string;
  /** Extra environment for the registry process, e.g. `{ SSL_CERT_FILE: upstream.caFile }`. */
  proxyEnv?: Record<string, string>;
  /** Address to listen on (default 127.0.0.1); a node's pods reach only the node's addresses. */
  address?: string;
  /** Port to listen on (default: a free one), e.g. to restart a registry where it was. */
  port?: number;
  /** Storage folder kept after stop (default: one of its own, removed at stop), to restart on the same images. */
  storageDir?: string;
  /** More accounts besides `auth` (e.g. a read-only robot's; the registry itself does not tell them apart). */
  moreUsers?: RegistryAuth[];
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  /** `http://127.0.0.1:<port>` or `https://...` */
  url: string;
  /** Folder holding `ca.crt`, for skopeo's `--src-cert-dir` / `--dest-cert-dir` (TLS only). */
  certDir?: string;
  /** PEM file of the self-signed certificate, for Node (`ca`) or `SSL_CERT_FILE` (TLS only). */
  caFile?: string;
  auth?: RegistryAuth;
  storageDir: string;
  pid: number;
  logs(): string;
  stop(): Promise<void>;
}

/** The four manifest types; without all of them the registry answers 404 or converts (see REAL-PARTS.md). */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Asks the OS for a free port on `address` (listen on 0, close, use). */
export function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function writeSelfSignedCert(
  dir: string,
  address: string,
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    `subjectAltName=IP:127.0.0.1,DNS:localhost${address === '127.0.0.1' ? '' : `,IP:${address}`}`,
    '-keyout',
    keyFile,
    '-out',
    certFile,
  ]);
  return { certFile, keyFile };
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const root = makeTempDir('registry');
  const storageDir = opts.storageDir ?? join(root, 'storage');
  mkdirSync(storageDir, { recursive: true });
  const address = opts.address ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(address));
  const host = `${address}:${port}`;
  const httpConfig: Record<string, unknown> = { addr: host, secret: 'test-bench-secret' };
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'warn' },
    storage: { filesystem: { rootdirectory: storageDir }, delete: { enabled: true } },
    http: httpConfig,
  };

  let certDir: string | undefined;
  let caFile: string | undefined;
  if (opts.tls) {
    const { certFile, keyFile } = await writeSelfSignedCert(root, address);
    httpConfig.tls = { certificate: certFile, key: keyFile };
    certDir = join(root, 'certs');
    mkdirSync(certDir);
    caFile = join(certDir, 'ca.crt');
    copyFileSync(certFile, caFile);
  }
  if (opts.auth) {
    const lines: string[] = [];
    for (const user of [opts.auth, ...(opts.moreUsers ?? [])]) {
      const { stdout } = await runCommand('htpasswd', ['-Bbn', user.username, user.password]);
      lines.push(stdout.trim());
    }
    const htpasswdFile = join(root, 'htpasswd');
    writeFileSync(htpasswdFile, `${lines.join('\n')}\n`);
    config.auth = { htpasswd: { realm: 'test-registry', path: htpasswdFile } };
  }
  if (opts.proxyRemoteUrl) config.proxy = { remoteurl: opts.proxyRemoteUrl };

  const configPath = join(root, 'config.yml');
  writeFileSync(configPath, stringify(config));

  const output: string[] = [];
  const child = spawnTracked('docker-registry', ['serve', configPath], {
    env: { ...process.env, ...opts.proxyEnv },
  });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));

  const registry: TestRegistry = {
    host,
    url: `${opts.tls ? 'https' : 'http'}://${host}`,
    certDir,
    caFile,
    auth: opts.auth,
    storageDir,
    pid: child.pid ?? -1,
    logs: () => output.join(''),
    stop: async () => {
      await stopTracked(child);
      removeTempDir(root);
    },
  };

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`docker-registry exited ${child.exitCode ?? child.signalCode}`);
        }
        const { status } = await registryRequest(registry, 'GET', '/v2/', {}, false);
        return status === 200 || status === 401;
      },
      { timeoutMs: 15_000, what: `registry on ${host}` },
    );
  } catch (error) {
    await registry.stop();
    throw new Error(`${(error as Error).message}\n${output.join('')}`);
  }
  return registry;
}

export interface RegistryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to the registry, with its basic auth (when `withAuth`) and its TLS CA. */
export function registryRequest(
  registry: TestRegistry,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  withAuth = true,
): Promise<RegistryResponse> {
  const allHeaders: Record<string, string> = { ...headers };
  if (withAuth && registry.auth) {
    const token = Buffer.from(`${registry.auth.username}:${registry.auth.password}`).toString('base64');
    allHeaders.Authorization = `Basic ${token}`;
  }
  const target = new URL(path, registry.url);
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    };
    const req = registry.caFile
      ? https.request(target, { method, headers: allHeaders, ca: readFileSync(registry.caFile) }, onResponse)
      : http.request(target, { method, headers: allHeaders }, onResponse);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${target} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `Docker-Content-Digest` of `<repo>:<reference>` (a tag or digest), asked with all four manifest types. */
export async function manifestDigest(
  registry: TestRegistry,
  repo: string,
  reference: string,
): Promise<string> {
  const res = await registryRequest(registry, 'HEAD', `/v2/${repo}/manifests/${reference}`, {
    Accept: MANIFEST_ACCEPT,
  });
  const digest = res.headers['docker-content-digest'];
  if (res.status !== 200 || typeof digest !== 'string') {
    throw new Error(`HEAD ${registry.host}/${repo}:${reference} answered ${res.status}`);
  }
  return digest;
}

export interface FetchedManifest {
  status: number;
  digest?: string;
  mediaType?: string;
  body: string;
}

/** GET of a manifest (or image index) with all four Accept types; does not throw on 404. */
export async function fetchManifest(
  registry: TestRegistry,
  repo: string,
  reference: string,
): Promise<FetchedManifest> {
  const res = await registryRequest(registry, 'GET', `/v2/${repo}/manifests/${reference}`, {
    Accept: MANIFEST_ACCEPT,
  });
  const digest = res.headers['docker-content-digest'];
  const mediaType = res.headers['content-type'];
  return {
    status: res.status,
    digest: typeof digest === 'string' ? digest : undefined,
    mediaType: typeof mediaType === 'string' ? mediaType : undefined,
    body: res.body,
  };
}

/** Tags of a repository; an unknown repository has none. */
export async function listTags(registry: TestRegistry, repo: string): Promise<string[]> {
  const res = await registryRequest(registry, 'GET', `/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  if (res.status !== 200) throw new Error(`GET ${registry.host}/${repo} tags answered ${res.status}`);
  const parsed = JSON.parse(res.body) as { tags?: string[] | null };
  return [...(parsed.tags ?? [])].sort();
}
