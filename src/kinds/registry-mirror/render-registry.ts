import { contentHash } from '../../core/hash.js';
import type { KubeObject } from '../../core/kube-object.js';
import { DOMAIN } from '../../core/labels.js';
import { mirrorLabels, mirrorNames, mirrorSelector } from './names.js';
import { CONFIG_DIR, REGISTRY_PORT, registryConfigYaml, STORAGE_PATH, TLS_DIR } from './registry-config.js';
import type { ResolvedMirror } from './resolve.js';
import type { RegistryMirrorSpec } from './types.js';

export const CONFIG_HASH_ANNOTATION = `${DOMAIN}/config-hash`;
/**
 * A slow, salted hash of the upstream credentials the registry reads (never the values): a password changed
 * inside the same Secret changes it, so the registry pods roll and read the new one.
 */
export const CREDENTIALS_HASH_ANNOTATION = `${DOMAIN}/credentials-hash`;
const UPSTREAM_CA_DIR = '/etc/registry/upstream-ca';

export interface MirrorTarget {
  name: string;
  namespace: string;
  registryImage: string;
}

export function renderConfigMap(target: MirrorTarget, configYaml: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: mirrorNames(target.name).configMap,
      namespace: target.namespace,
      labels: mirrorLabels(target.name, 'registry'),
    },
    data: { 'config.yml': configYaml },
  };
}

export function renderServices(target: MirrorTarget, mirror: ResolvedMirror): KubeObject[] {
  const names = mirrorNames(target.name);
  const port = { name: 'registry', port: mirror.servicePort, targetPort: 'registry', protocol: 'TCP' };
  const selector = mirrorSelector(target.name, 'registry');
  const labels = mirrorLabels(target.name, 'registry');
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: names.service, namespace: target.namespace, labels },
      spec: {
        type: 'ClusterIP',
        ...(mirror.clusterIP ? { clusterIP: mirror.clusterIP } : {}),
        selector,
        ports: [port],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: names.headlessService, namespace: target.namespace, labels },
      spec: { clusterIP: 'None', selector, ports: [port] },
    },
  ];
}

function registryEnv(mirror: ResolvedMirror): Record<string, unknown>[] {
  const env: Record<string, unknown>[] = [];
  if (mirror.credentials) {
    // Read by reference: the values never appear in a rendered object.
    const { name, usernameKey, passwordKey } = mirror.credentials;
    env.push(
      { name: 'REGISTRY_PROXY_USERNAME', valueFrom: { secretKeyRef: { name, key: usernameKey } } },
      { name: 'REGISTRY_PROXY_PASSWORD', valueFrom: { secretKeyRef: { name, key: passwordKey } } },
    );
  }
  if (mirror.upstreamCaConfigMap) {
    // Go reads the system bundle file plus every certificate in these folders.
    env.push({ name: 'SSL_CERT_DIR', value: `/etc/ssl/certs:${UPSTREAM_CA_DIR}` });
  }
  return env;
}

function registryVolumes(target: MirrorTarget, mirror: ResolvedMirror) {
  const volumes: Record<string, unknown>[] = [
    { name: 'config', configMap: { name: mirrorNames(target.name).configMap } },
    { name: 'tmp', emptyDir: {} },
  ];
  const mounts: Record<string, unknown>[] = [
    { name: 'image-store', mountPath: STORAGE_PATH },
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  if (mirror.tlsSecret) {
    volumes.push({ name: 'tls', secret: { secretName: mirror.tlsSecret } });
    mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
  }
  if (mirror.upstreamCaConfigMap) {
    volumes.push({ name: 'upstream-ca', configMap: { name: mirror.upstreamCaConfigMap } });
    mounts.push({ name: 'upstream-ca', mountPath: UPSTREAM_CA_DIR, readOnly: true });
  }
  return { volumes, mounts };
}

/** Pod fields the registry and the node-config pods share. */
export function commonPodFields(spec: RegistryMirrorSpec, mirror: ResolvedMirror): Record<string, unknown> {
  return {
    ...(mirror.imagePullSecrets.length
      ? { imagePullSecrets: mirror.imagePullSecrets.map((name) => ({ name })) }
      : {}),
    ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
  };
}

export function renderStatefulSet(
  target: MirrorTarget,
  spec: RegistryMirrorSpec,
  mirror: ResolvedMirror,
  configYaml: string,
  credentialsHash?: string,
): KubeObject {
  const names = mirrorNames(target.name);
  const { volumes, mounts } = registryVolumes(target, mirror);
  const scheme = mirror.tlsSecret ? 'HTTPS' : 'HTTP';
  const probe = (extra: Record<string, unknown>) => ({
    httpGet: { path: '/', port: 'registry', scheme },
    timeoutSeconds: 5,
    ...extra,
  });
  const env = registryEnv(mirror);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name: names.statefulSet,
      namespace: target.namespace,
      labels: { ...mirror.labels, ...mirrorLabels(target.name, 'registry') },
    },
    spec: {
      replicas: mirror.replicas,
      serviceName: names.headlessService,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: mirrorSelector(target.name, 'registry') },
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: {
          labels: { ...mirror.podLabels, ...mirrorLabels(target.name, 'registry') },
          // A new config (or TLS/credential reference) changes the template, so the pods roll; so does a
          // new password in the same Secret (its hash, read by observe.ts).
          annotations: {
            [CONFIG_HASH_ANNOTATION]: contentHash({ configYaml, env, volumes }),
            ...(credentialsHash ? { [CREDENTIALS_HASH_ANNOTATION]: credentialsHash } : {}),
          },
        },
        spec: {
          ...commonPodFields(spec, mirror),
          // docker-registry takes every REGISTRY_* variable as configuration, and the Service links of a
          // Service named registry-mirror-<name> are such variables: none here.
          enableServiceLinks: false,
          // The registry needs no root; fsGroup makes the claimed volume writable for this user.
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
          ...(spec.affinity ? { affinity: spec.affinity } : {}),
          ...(mirror.tolerations ? { tolerations: mirror.tolerations } : {}),
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: 'registry',
              image: target.registryImage,
              args: ['serve', `${CONFIG_DIR}/config.yml`],
              ports: [{ name: 'registry', containerPort: REGISTRY_PORT, protocol: 'TCP' }],
              ...(env.length ? { env } : {}),
              volumeMounts: mounts,
              resources: mirror.resources,
              readinessProbe: probe({ periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: probe({ initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 6 }),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
          volumes,
        },
      },
      // Immutable once created (a Kubernetes rule): a new size or class needs the StatefulSet recreated.
      volumeClaimTemplates: [{ metadata: { name: 'image-store' }, spec: mirror.volumeClaimSpec }],
    },
  };
}

export function mirrorConfigYaml(mirror: ResolvedMirror): string {
  return registryConfigYaml({ upstream: mirror.upstream, tls: mirror.tlsSecret !== undefined });
}
