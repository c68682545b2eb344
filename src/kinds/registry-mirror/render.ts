import { ImageGitopsError } from '../../core/errors.js';
import type { KubeObject } from '../../core/kube-object.js';
import type { Manifest } from '../../manifests/types.js';
import type { RenderContext } from '../types.js';
import { MIRROR_OPERATOR_API_VERSION } from './mirror-operator.js';
import type { MirrorObserved } from './observe.js';
import { renderNodeConfigDaemonSet } from './render-node-config.js';
import { mirrorConfigYaml, renderConfigMap, renderServices, renderStatefulSet } from './render-registry.js';
import { checkMirrorSpec, resolveMirror } from './resolve.js';
import type { RegistryMirrorSpec } from './types.js';

function observedCredentialsHash(observed: unknown): string | undefined {
  const hash = (observed as MirrorObserved | undefined)?.credentialsHash;
  return typeof hash === 'string' ? hash : undefined;
}

/**
 * A RegistryMirror as Kubernetes objects: the registry's config, its Services, the caching registry
 * StatefulSet and the DaemonSet that points nodes at it. The operator's settings (mirror-operator's
 * environment) fill what the manifest leaves out; mirror-operator's files default to its hostess mode.
 */
export function renderRegistryMirror(
  manifest: Manifest<RegistryMirrorSpec>,
  context: RenderContext,
): KubeObject[] {
  const problems = checkMirrorSpec(manifest.spec);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new ImageGitopsError('INVALID_SPEC', first.message, {
      file: manifest.origin.file,
      field: first.field,
    });
  }
  const namespace = manifest.namespace ?? context.namespace;
  const mirror = resolveMirror(manifest.spec, {
    certsDir: context.settings.containerdConfigPath,
    ...(context.settings.registryMirror ? { operator: context.settings.registryMirror } : {}),
    nodeConfig: manifest.origin.apiVersion === MIRROR_OPERATOR_API_VERSION ? 'hosts' : 'containerd',
  });
  if (mirror.nodeConfig === 'hosts' && !mirror.tlsSecret) {
    // Runtimes reach a registry name over HTTPS on 443: a masquerade without a certificate cannot work.
    throw new ImageGitopsError(
      'INVALID_SPEC',
      `nodeConfig hosts (mirror-operator's hostess mode) serves ${mirror.masqueradeHost} over HTTPS: give tls.secretName, or set DOCKER_CERTIFICATE_SECRET on the reconciler as mirror-operator required, with a certificate for that name`,
      { file: manifest.origin.file, field: '/spec/tls' },
    );
  }
  const configYaml = mirrorConfigYaml(mirror);
  const target = { name: manifest.name, namespace, registryImage: context.settings.images.registry };
  const objects = [
    renderConfigMap(target, configYaml),
    ...renderServices(target, mirror),
    renderStatefulSet(target, manifest.spec, mirror, configYaml, observedCredentialsHash(context.observed)),
  ];
  const daemonSet = renderNodeConfigDaemonSet(
    { name: manifest.name, namespace, shellImage: context.settings.images.shell },
    manifest.spec,
    mirror,
  );
  if (daemonSet) objects.push(daemonSet);
  return objects;
}
