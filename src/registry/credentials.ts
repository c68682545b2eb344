/**
 * Registry credentials from Kubernetes Secrets, in the two shapes clusters hold them:
 * - `kubernetes.io/dockerconfigjson`: key `.dockerconfigjson` (or `config.json`) with `auths.<host>.auth`
 *   (base64 `user:pass`) or `auths.<host>.username/password`;
 * - an Opaque Secret with `username` and `password` keys, for one registry.
 * They become one merged authfile (`{"auths":{"<host>":{"auth":"..."}}}`) that skopeo reads with
 * `--authfile`, shipped to Jobs as a Secret mounted read-only: never as arguments or env values.
 */

import { ImageGitopsError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { normaliseRegistryHost } from './references.js';

export interface RegistryCredential {
  username: string;
  password: string;
}

/** Credentials by normalised registry host (`docker.io`, `quay.io`, `127.0.0.1:5000`). */
export type CredentialsByHost = Map<string, RegistryCredential>;

export interface AuthFile {
  auths: Record<string, { auth: string }>;
}

/** The file name of the authfile inside its Secret and its mount. */
export const AUTHFILE_KEY = 'auth.json';

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
}

function decodeAuth(auth: string, where: string): RegistryCredential {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0)
    throw new ImageGitopsError('INVALID_SPEC', `${where}: "auth" is not base64 of user:password`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Reads a docker config.json text into credentials by host. */
export function parseDockerConfig(json: string, where = 'docker config'): CredentialsByHost {
  let parsed: { auths?: Record<string, DockerConfigEntry> };
  try {
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    // JSON.parse's message quotes the text it read: a credential. Never pass it on.
    throw new ImageGitopsError('INVALID_SPEC', `${where}: not valid JSON`);
  }
  const result: CredentialsByHost = new Map();
  for (const [host, entry] of Object.entries(parsed.auths ?? {})) {
    const key = normaliseRegistryHost(host);
    if (entry.auth) result.set(key, decodeAuth(entry.auth, `${where} auths["${host}"]`));
    else if (entry.username !== undefined && entry.password !== undefined) {
      result.set(key, { username: entry.username, password: entry.password });
    }
  }
  return result;
}

/**
 * Credentials in one Secret's (decoded) data. A docker config Secret gives every host it names;
 * a username/password Secret gives the credential for `host`.
 */
export function credentialsFromSecretData(
  data: Record<string, string>,
  host: string,
  where = 'secret',
): CredentialsByHost {
  const config = data['.dockerconfigjson'] ?? data['config.json'];
  if (config !== undefined) return parseDockerConfig(config, where);
  if (data.username !== undefined && data.password !== undefined) {
    return new Map([[normaliseRegistryHost(host), { username: data.username, password: data.password }]]);
  }
  throw new ImageGitopsError(
    'INVALID_SPEC',
    `${where}: holds neither ".dockerconfigjson" nor "username" and "password" keys`,
  );
}

/** One credential for a host from a Secret's data, or undefined when the Secret names other hosts only. */
export function credentialForHost(
  data: Record<string, string>,
  host: string,
  where?: string,
): RegistryCredential | undefined {
  return credentialsFromSecretData(data, host, where).get(normaliseRegistryHost(host));
}

/** The authfile skopeo reads; keys sorted so that equal credentials give equal files. */
export function buildAuthFile(credentials: CredentialsByHost): AuthFile {
  const auths: AuthFile['auths'] = {};
  for (const host of [...credentials.keys()].sort()) {
    const credential = credentials.get(host)!;
    auths[host] = { auth: Buffer.from(`${credential.username}:${credential.password}`).toString('base64') };
  }
  return { auths };
}

export function authFileJson(authFile: AuthFile): string {
  return `${JSON.stringify(authFile, null, 2)}\n`;
}

/** The Secret a kind renders to carry the merged authfile into its Jobs (mounted read-only). */
export function renderAuthFileSecret(options: {
  name: string;
  namespace: string;
  authFile: AuthFile;
  labels?: Record<string, string>;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      ...(options.labels ? { labels: options.labels } : {}),
    },
    type: 'Opaque',
    data: { [AUTHFILE_KEY]: Buffer.from(authFileJson(options.authFile)).toString('base64') },
  };
}

// ---- Reading one credentials Secret (added for ImageBuild's observe step; any kind's observe may use it) ----

/** Reads a Secret's decoded data, or undefined when it does not exist (ObserveContext.readSecret). */
export type SecretReader = (namespace: string, name: string) => Promise<Record<string, string> | undefined>;

/** The credential for `host` held by Secret `namespace/name`; OBSERVE_FAILED when missing or without that host. */
export async function readCredentialSecret(
  ref: { namespace: string; name: string },
  host: string,
  readSecret: SecretReader,
): Promise<RegistryCredential> {
  const where = `Secret ${ref.namespace}/${ref.name}`;
  const data = await readSecret(ref.namespace, ref.name);
  if (!data) throw new ImageGitopsError('OBSERVE_FAILED', `${where} (credentials of ${host}) does not exist`);
  const credential = credentialForHost(data, host, where);
  if (!credential) throw new ImageGitopsError('OBSERVE_FAILED', `${where} has no entry for ${host}`);
  return credential;
}
