import type { ManifestSecretPolicy } from '../config/settings.js';
import { ImageGitopsError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS, USABLE_BY_MANIFESTS_LABEL } from '../core/labels.js';
import type { KubeApi } from '../kube/types.js';

/**
 * The label that makes a Secret usable by manifests (as a registry credential or CA, a pull Secret, a TLS
 * Secret). Nothing else is: a config repo is written by many hands, and the reconciler can read Secrets the
 * repo's writers must not reach (its own git credentials first of all).
 */

const SECRET = { apiVersion: 'v1', kind: 'Secret' } as const;

export type SecretDecision =
  | { ok: true; secret: KubeObject }
  | { ok: false; missing: boolean; reason: string };

/** Why a Secret may not be used, judged by its name alone (reserved, or in a namespace not allowed). */
function nameRefusal(policy: ManifestSecretPolicy, namespace: string, name: string): string | undefined {
  const where = `Secret ${namespace}/${name}`;
  if (policy.reserved.some((r) => r.namespace === namespace && r.name === name))
    return `${where} is one of the reconciler's own Secrets (RECONCILER_SECRETS): manifests may never use it`;
  if (policy.namespaces && !policy.namespaces.includes(namespace))
    return `${where}: manifests may use Secrets only in the namespaces ${policy.namespaces.join(', ')} (MANIFEST_SECRET_NAMESPACES)`;
  return undefined;
}

/** Why a Secret may not be used, or undefined when it may: the one rule, pure. */
export function secretRefusal(
  policy: ManifestSecretPolicy,
  namespace: string,
  name: string,
  secret: KubeObject | undefined,
): string | undefined {
  const byName = nameRefusal(policy, namespace, name);
  if (byName) return byName;
  const where = `Secret ${namespace}/${name}`;
  if (!secret) return `${where} does not exist`;
  const labels = secret.metadata.labels ?? {};
  if (labels[LABELS.managedBy] === 'image-gitops')
    return `${where} is an object image-gitops renders: manifests may not use it`;
  if (labels[USABLE_BY_MANIFESTS_LABEL] !== 'true')
    return `${where} is not labelled ${USABLE_BY_MANIFESTS_LABEL}: "true": manifests may use only Secrets meant for them (ask the cluster's operator to label it)`;
  return undefined;
}

/**
 * Every Secret a manifest uses goes through here, whether the reconciler reads it (credentials, CAs) or a
 * rendered pod refers to it (pull Secrets, TLS, secretKeyRef). One GET per Secret per sync.
 */
export class SecretGate {
  private readonly seen = new Map<string, Promise<SecretDecision>>();

  constructor(
    private readonly kube: Pick<KubeApi, 'get'>,
    private readonly policy: ManifestSecretPolicy,
  ) {}

  decide(namespace: string, name: string): Promise<SecretDecision> {
    const key = `${namespace}/${name}`;
    let decision = this.seen.get(key);
    if (!decision) {
      decision = this.lookUp(namespace, name);
      this.seen.set(key, decision);
      decision.catch(() => this.seen.delete(key));
    }
    return decision;
  }

  private async lookUp(namespace: string, name: string): Promise<SecretDecision> {
    // The reserved and namespace rules need no read: such a Secret is not even fetched.
    const byName = nameRefusal(this.policy, namespace, name);
    if (byName) return { ok: false, missing: false, reason: byName };
    const secret = await this.kube.get(SECRET, namespace, name);
    const reason = secretRefusal(this.policy, namespace, name, secret);
    return reason ? { ok: false, missing: !secret, reason } : { ok: true, secret: secret! };
  }

  /**
   * The data of a Secret a manifest may use (base64-decoded), undefined when it does not exist; throws
   * SECRET_REFUSED for a Secret it may not use. The error names the Secret, never a value of it.
   */
  async read(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const decision = await this.decide(namespace, name);
    if (!decision.ok) {
      if (decision.missing) return undefined;
      throw new SecretRefusedError(namespace, name, decision.reason);
    }
    const data = (decision.secret.data ?? {}) as Record<string, string>;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  }
}

export class SecretRefusedError extends ImageGitopsError {
  constructor(
    readonly secretNamespace: string,
    readonly secretName: string,
    reason: string,
  ) {
    super('SECRET_REFUSED', reason);
  }
}

interface PodView {
  imagePullSecrets?: { name?: string }[];
  volumes?: {
    secret?: { secretName?: string };
    projected?: { sources?: { secret?: { name?: string } }[] };
  }[];
  initContainers?: ContainerView[];
  containers?: ContainerView[];
}

interface ContainerView {
  env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[];
  envFrom?: { secretRef?: { name?: string } }[];
}

/** Names of the Secrets a pod spec refers to: pull Secrets, volumes, env and envFrom. */
function podSecretNames(pod: PodView | undefined): string[] {
  if (!pod) return [];
  const names: (string | undefined)[] = [];
  for (const ref of pod.imagePullSecrets ?? []) names.push(ref.name);
  for (const volume of pod.volumes ?? []) {
    names.push(volume.secret?.secretName);
    for (const source of volume.projected?.sources ?? []) names.push(source.secret?.name);
  }
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const env of container.env ?? []) names.push(env.valueFrom?.secretKeyRef?.name);
    for (const from of container.envFrom ?? []) names.push(from.secretRef?.name);
  }
  return names.filter((n): n is string => !!n);
}

interface PodOwnerView {
  template?: { spec?: PodView };
  jobTemplate?: { spec?: { template?: { spec?: PodView } } };
}

/** The pod spec inside a workload, Job, CronJob or Pod. */
function podSpecOf(object: KubeObject): PodView | undefined {
  const spec = object.spec as (PodView & PodOwnerView) | undefined;
  if (!spec) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') return spec.jobTemplate?.spec?.template?.spec;
  return spec.template?.spec;
}

/**
 * The Secrets the objects of one manifest refer to and do not render themselves (an ImageSync's own
 * authfile Secret is rendered with its Jobs): each must pass the gate.
 */
export function externalSecretRefs(
  objects: readonly KubeObject[],
): Array<{ namespace: string; name: string }> {
  const rendered = new Set(
    objects.filter((o) => o.kind === 'Secret').map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`),
  );
  const refs = new Map<string, { namespace: string; name: string }>();
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? '';
    for (const name of podSecretNames(podSpecOf(object))) {
      const key = `${namespace}/${name}`;
      if (!rendered.has(key)) refs.set(key, { namespace, name });
    }
  }
  return [...refs.values()];
}
