/**
 * Per-registry access of any kind with a `registries` field (ImageSync, ImageBackup, ImageBuild): the
 * manifest's own entries over the reconciler-wide SYNC_REGISTRIES, matched by normalised host
 * (`index.docker.io` is `docker.io`); then reading the credentials and CAs they name.
 */
import type { ImageOperatorSide, RegistryBudget, RegistryDefaults, Settings } from '../config/settings.js';
import { ImageGitopsError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import type { RegistryAccess } from './client.js';
import { type AuthFile, buildAuthFile, type CredentialsByHost, credentialForHost } from './credentials.js';
import { type AwsEcrAccess, ecrRegistryCredential } from './ecr.js';
import { normaliseRegistryHost } from './references.js';

export interface ResolvedRegistry {
  host: string;
  tlsVerify: boolean;
  credentialsSecret?: { namespace: string; name: string };
  /** image-operator's CREDS_* for this side, when nothing else gives the host credentials. */
  inlineCredential?: { username: string; password: string };
  /** The credential is an ECR authorization token (registry/ecr.ts), not a Secret. */
  awsEcr?: boolean;
  ca?: { namespace: string; name: string; key: string; kind: 'Secret' | 'ConfigMap' };
  /** The pull budget declared for this registry (the manifest's entry, else SYNC_REGISTRIES). */
  budget?: RegistryBudget;
}

function caOf(
  source: CaSource | undefined,
  namespace: string,
  kind: 'Secret' | 'ConfigMap',
): ResolvedRegistry['ca'] {
  return source ? { namespace, name: source.name, key: source.key ?? 'ca.crt', kind } : undefined;
}

/** A Secret or ConfigMap key holding a CA (PEM). */
interface CaSource {
  name: string;
  key?: string;
}

/** What this module reads of one `registries` entry of a manifest (the kinds' schemas define it). */
interface RegistryEntry {
  host: string;
  credentialsSecret?: string;
  tlsVerify?: boolean;
  caSecret?: CaSource;
  caConfigMap?: CaSource;
  awsEcr?: boolean;
  budget?: RegistryBudget;
}

/** The `registries` field of a spec: ImageSync's, ImageBackup's, ImageBuild's (same shape). */
export interface RegistriesField {
  registries?: readonly RegistryEntry[];
}

/**
 * One registry's access: the manifest's own entry, then SYNC_REGISTRIES, then (an image-operator `Image`
 * only) that side's CREDS_* and DISABLE_*_TLS_VERIFICATION.
 */
export function resolveRegistry(
  host: string,
  spec: RegistriesField,
  settings: Settings,
  namespace: string,
  side?: ImageOperatorSide,
): ResolvedRegistry {
  const key = normaliseRegistryHost(host);
  const own = (spec.registries ?? []).find((r) => normaliseRegistryHost(r.host) === key);
  // SYNC_REGISTRIES entries may also say `awsEcr: true` (read as they are, see registry/ecr.ts).
  const shared: (RegistryDefaults & { awsEcr?: boolean }) | undefined = settings.registries.find(
    (r) => normaliseRegistryHost(r.host) === key,
  );
  const resolved: ResolvedRegistry = {
    host: key,
    tlsVerify: own?.tlsVerify ?? shared?.tlsVerify ?? side?.tlsVerify ?? true,
  };
  if (own?.credentialsSecret) resolved.credentialsSecret = { namespace, name: own.credentialsSecret };
  else if (own?.awsEcr) resolved.awsEcr = true;
  else if (shared?.awsEcr) resolved.awsEcr = true;
  else if (shared?.credentialsSecret) {
    resolved.credentialsSecret = {
      namespace: shared.secretNamespace ?? namespace,
      name: shared.credentialsSecret,
    };
  } else if (side?.credential && sideAllows(side, key)) resolved.inlineCredential = side.credential;
  const ca =
    caOf(own?.caSecret, namespace, 'Secret') ??
    caOf(own?.caConfigMap, namespace, 'ConfigMap') ??
    caOf(shared?.caSecret, shared?.secretNamespace ?? namespace, 'Secret');
  if (ca) resolved.ca = ca;
  const budget = own?.budget ?? shared?.budget;
  if (budget) resolved.budget = budget;
  return resolved;
}

/** Secret keys may not hold ':': `127.0.0.1:5000` → `127.0.0.1_5000`. */
export function hostFileName(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_');
}

function sideAllows(side: ImageOperatorSide, host: string): boolean {
  return !side.credentialHosts || side.credentialHosts.some((h) => normaliseRegistryHost(h) === host);
}

/** The reads that access needs: Secrets and ConfigMaps of the cluster, ECR tokens (a kind's observe context). */
export interface AccessReader {
  settings: Settings;
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  listObjects(type: { apiVersion: string; kind: string }, namespace?: string): Promise<KubeObject[]>;
  awsEcr?: AwsEcrAccess;
  signal?: AbortSignal;
}

/** The authfile (hosts with credentials) and CA PEMs by host, rendered into a copy Job's files Secret. */
export interface CopyFiles {
  authFile?: AuthFile;
  cas: Record<string, string>;
}

async function readCa(registry: ResolvedRegistry, context: AccessReader): Promise<string | undefined> {
  const ca = registry.ca;
  if (!ca) return undefined;
  let data: Record<string, string> | undefined;
  if (ca.kind === 'Secret') data = await context.readSecret(ca.namespace, ca.name);
  else {
    const maps = await context.listObjects({ apiVersion: 'v1', kind: 'ConfigMap' }, ca.namespace);
    data = maps.find((m) => m.metadata.name === ca.name)?.data as Record<string, string> | undefined;
  }
  const pem = data?.[ca.key];
  if (!pem) {
    throw new ImageGitopsError(
      'OBSERVE_FAILED',
      `${ca.kind} ${ca.namespace}/${ca.name} has no key "${ca.key}" (CA of ${registry.host})`,
    );
  }
  return pem;
}

async function readCredential(registry: ResolvedRegistry, context: AccessReader) {
  if (registry.awsEcr) return ecrRegistryCredential(registry.host, context.awsEcr, context.signal);
  if (registry.inlineCredential) return registry.inlineCredential;
  const ref = registry.credentialsSecret;
  if (!ref) return undefined;
  const data = await context.readSecret(ref.namespace, ref.name);
  const where = `Secret ${ref.namespace}/${ref.name}`;
  if (!data)
    throw new ImageGitopsError('OBSERVE_FAILED', `${where} (credentials of ${registry.host}) does not exist`);
  const credential = credentialForHost(data, registry.host, where);
  if (!credential) throw new ImageGitopsError('OBSERVE_FAILED', `${where} has no entry for ${registry.host}`);
  return credential;
}

/** Credentials, CAs and TLS settings of the given registries (any kind with a `registries` field). */
export async function observeAccessForHosts(
  hosts: readonly string[],
  spec: RegistriesField,
  context: AccessReader,
  namespace: string,
  sideOf?: (host: string) => ImageOperatorSide | undefined,
): Promise<{ access: Map<string, RegistryAccess>; files: CopyFiles }> {
  const access = new Map<string, RegistryAccess>();
  const credentials: CredentialsByHost = new Map();
  const cas: Record<string, string> = {};
  for (const host of new Set(hosts)) {
    const registry = resolveRegistry(host, spec, context.settings, namespace, sideOf?.(host));
    if (access.has(registry.host)) continue;
    const credential = await readCredential(registry, context);
    const ca = await readCa(registry, context);
    if (credential) credentials.set(registry.host, credential);
    if (ca) cas[registry.host] = ca;
    access.set(registry.host, {
      tlsVerify: registry.tlsVerify,
      ...(credential ? { credential } : {}),
      ...(ca ? { ca } : {}),
    });
  }
  return {
    access,
    files: { ...(credentials.size > 0 ? { authFile: buildAuthFile(credentials) } : {}), cas },
  };
}
