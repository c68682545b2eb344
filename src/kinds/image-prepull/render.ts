import { ImageGitopsError } from '../../core/errors.js';
import type { KubeObject } from '../../core/kube-object.js';
import type { Manifest } from '../../manifests/types.js';
import type { RenderContext } from '../types.js';
import { COPY_SLEEP_CONTAINER } from './images.js';
import { type NormalizedPrepull, normalizePrepull } from './normalize.js';
import type { PrepullObserved } from './observe.js';
import { decideRecreate } from './recreate.js';
import type { ImagePrepullSpec } from './types.js';

const KIP_VOLUME = 'kip';
const KIP_MOUNT = '/kip';
/** As kubernetes-image-puller: a static sleep, so scratch images (no shell, no sleep) run too. */
export const SLEEP_COMMAND = ['/kip/sleep'];
export const SLEEP_ARGS = ['720h'];
/** kubernetes-image-puller's non-root user for the copy step. */
const NON_ROOT_ID = 65532;

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

export function prepullSelector(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'image-prepull', 'app.kubernetes.io/instance': name };
}

function podSpec(prepull: NormalizedPrepull, sleepImage: string): Record<string, unknown> {
  const kipMounts = [{ name: KIP_VOLUME, mountPath: KIP_MOUNT }];
  return {
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    terminationGracePeriodSeconds: 1,
    ...(prepull.nodeSelector ? { nodeSelector: prepull.nodeSelector } : {}),
    ...(prepull.affinity ? { affinity: prepull.affinity } : {}),
    ...(prepull.tolerations ? { tolerations: prepull.tolerations } : {}),
    ...(prepull.imagePullSecrets.length
      ? { imagePullSecrets: prepull.imagePullSecrets.map((name) => ({ name })) }
      : {}),
    initContainers: [
      {
        name: COPY_SLEEP_CONTAINER,
        image: sleepImage,
        imagePullPolicy: prepull.imagePullPolicy,
        command: ['/bin/sh', '-c', `cp /bin/sleep ${KIP_MOUNT}/sleep`],
        resources: prepull.resources,
        volumeMounts: kipMounts,
        securityContext: {
          ...RESTRICTED_CONTAINER,
          runAsNonRoot: true,
          runAsUser: NON_ROOT_ID,
          runAsGroup: NON_ROOT_ID,
        },
      },
    ],
    containers: prepull.containers.map(({ containerName, image }) => ({
      name: containerName,
      image,
      imagePullPolicy: prepull.imagePullPolicy,
      command: SLEEP_COMMAND,
      args: SLEEP_ARGS,
      resources: prepull.resources,
      volumeMounts: kipMounts,
      securityContext: RESTRICTED_CONTAINER,
    })),
    volumes: [{ name: KIP_VOLUME, emptyDir: { sizeLimit: '50Mi' } }],
  };
}

function observedTime(observed: unknown, field: 'now' | 'unreadySince'): string | undefined {
  const value = (observed as PrepullObserved | undefined)?.[field];
  return typeof value === 'string' ? value : undefined;
}

/** Where the DaemonSet goes: NAMESPACE, else metadata.namespace, else the reconciler's namespace. */
export function prepullNamespace(
  spec: ImagePrepullSpec,
  manifest: Manifest<ImagePrepullSpec>,
  fallback: string,
) {
  return spec.namespace ?? manifest.namespace ?? fallback;
}

/** The live DaemonSet this manifest renders now (same name and namespace), if any. */
export function liveDaemonSet(live: KubeObject[], name: string, namespace: string): KubeObject | undefined {
  return live.find(
    (o) =>
      o.kind === 'DaemonSet' && o.metadata.name === name && (o.metadata.namespace ?? namespace) === namespace,
  );
}

/**
 * One DaemonSet that keeps the listed images on every selected node. The engine repairs drift on each sync
 * (a deleted or edited DaemonSet is re-applied); a DaemonSet unhealthy for longer than
 * recreateUnhealthyAfter has its pods re-created, as kubernetes-image-puller re-created it (recreate.ts).
 */
export function renderImagePrepull(
  manifest: Manifest<ImagePrepullSpec>,
  context: RenderContext,
): KubeObject[] {
  const { prepull, problems } = normalizePrepull(manifest.spec);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ImageGitopsError('INVALID_SPEC', first.message, {
      file: manifest.origin.file,
      field: first.field,
    });
  }
  const selector = prepullSelector(manifest.name);
  const name = prepull.daemonSetName ?? manifest.name;
  const namespace = prepullNamespace(manifest.spec, manifest, context.namespace);
  const recreate = decideRecreate(
    liveDaemonSet(context.live, name, namespace),
    prepull.recreateUnhealthyAfterMs,
    observedTime(context.observed, 'now'),
    observedTime(context.observed, 'unreadySince'),
  );
  const annotations = { ...prepull.annotations };
  const templateAnnotations = { ...prepull.annotations, ...recreate.template };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name,
        namespace,
        labels: selector,
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      spec: {
        selector: { matchLabels: selector },
        updateStrategy: { type: 'RollingUpdate' },
        template: {
          metadata: {
            labels: selector,
            ...(Object.keys(templateAnnotations).length ? { annotations: templateAnnotations } : {}),
          },
          spec: podSpec(prepull, prepull.sleepImage ?? context.settings.images.sleep),
        },
      },
    },
  ];
}
