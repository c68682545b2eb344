// sigstore's real `cosign`, built once per machine from the Go module proxy (test/kube/build-cosign.sh; or
// COSIGN_BINARY), run offline against loopback registries: key pairs of its own making, signatures and
// attestations pushed without a transparency log, verification with `--insecure-ignore-tlog`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { runCommand } from './processes.js';
import { makeTempDir } from './tmp.js';

let binary: string | undefined;

/** The cosign executable: COSIGN_BINARY, or the one built once per machine into ~/.cache/image-gitops. */
export function cosignBinary(): string {
  if (!binary) {
    const script = join(packageRoot(), 'test', 'kube', 'build-cosign.sh');
    const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    binary = out.trim().split('\n').pop()!;
  }
  return binary;
}

export interface CosignKeyPair {
  /** Folder holding cosign.key (encrypted with `password`) and cosign.pub. */
  dir: string;
  privateKeyFile: string;
  publicKeyFile: string;
  password: string;
}

/** Basic credentials of a registry, for cosign's Docker config. */
export interface CosignRegistryAuth {
  host: string;
  username: string;
  password: string;
}

/**
 * cosign run with a home of its own (nothing written to the user's), offline: it reaches only the registries
 * named in its arguments (its TUF mirror is a closed loopback port, so the trusted root it looks for on
 * `verify` is not fetched from sigstore.dev). The key's password goes by COSIGN_PASSWORD, never in arguments
 * or output; registry credentials by the Docker config in that home.
 */
export async function cosign(
  args: readonly string[],
  options: { password?: string; cwd?: string; auth?: CosignRegistryAuth; experimental?: boolean } = {},
): Promise<string> {
  const home = makeTempDir('cosign-home');
  if (options.auth) {
    const { host, username, password } = options.auth;
    mkdirSync(join(home, '.docker'));
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }));
  }
  const { stdout } = await runCommand(cosignBinary(), args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      TUF_ROOT: join(home, 'tuf'),
      TUF_MIRROR: 'http://127.0.0.1:9',
      COSIGN_PASSWORD: options.password ?? '',
      // `--registry-referrers-mode=oci-1-1` is refused without it.
      ...(options.experimental ? { COSIGN_EXPERIMENTAL: '1' } : {}),
    },
  });
  return stdout;
}

/** `cosign generate-key-pair`: an ECDSA P-256 key pair, the private key encrypted with a fresh password. */
export async function generateKeyPair(): Promise<CosignKeyPair> {
  const dir = makeTempDir('cosign-keys');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  await cosign(['generate-key-pair'], { password, cwd: dir });
  return {
    dir,
    privateKeyFile: join(dir, 'cosign.key'),
    publicKeyFile: join(dir, 'cosign.pub'),
    password,
  };
}

/** Flags for a plain-HTTP loopback registry, no transparency log (offline). */
const OFFLINE = ['--allow-insecure-registry', '--allow-http-registry'];

/**
 * `cosign sign --key`: the signature of `image@digest` pushed beside it as `sha256-<hex>.sig`, or, with
 * `referrers`, as an OCI 1.1 referrer of it (`--registry-referrers-mode=oci-1-1`, experimental in cosign v2).
 */
export async function signImage(
  keys: CosignKeyPair,
  imageAtDigest: string,
  options: { referrers?: boolean } = {},
): Promise<void> {
  const mode = options.referrers ? ['--registry-referrers-mode=oci-1-1'] : [];
  await cosign(
    [
      'sign',
      '--key',
      keys.privateKeyFile,
      '--tlog-upload=false',
      '--yes',
      ...mode,
      ...OFFLINE,
      imageAtDigest,
    ],
    { password: keys.password, experimental: !!options.referrers },
  );
}

/** `cosign attest --key`: an in-toto attestation of `image@digest`, pushed beside it as `sha256-<hex>.att`. */
export async function attestImage(
  keys: CosignKeyPair,
  imageAtDigest: string,
  predicate: object,
): Promise<void> {
  const file = join(makeTempDir('cosign-predicate'), 'predicate.json');
  writeFileSync(file, JSON.stringify(predicate));
  await cosign(
    [
      'attest',
      '--key',
      keys.privateKeyFile,
      '--type',
      'custom',
      '--predicate',
      file,
      '--tlog-upload=false',
      '--yes',
      ...OFFLINE,
      imageAtDigest,
    ],
    { password: keys.password },
  );
}

/**
 * `cosign verify --key` offline; resolves to its output, rejects when the image does not verify. With
 * `referrers`, the signature is looked for among the image's OCI 1.1 referrers (`--experimental-oci11`).
 */
export function verifyImage(
  publicKeyFile: string,
  image: string,
  auth?: CosignRegistryAuth,
  options: { referrers?: boolean } = {},
): Promise<string> {
  const mode = options.referrers ? ['--experimental-oci11'] : [];
  return cosign(
    ['verify', '--key', publicKeyFile, '--insecure-ignore-tlog', '--offline', ...mode, ...OFFLINE, image],
    { ...(auth ? { auth } : {}), experimental: !!options.referrers },
  );
}
