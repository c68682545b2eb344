import { ImageGitopsError } from '../../core/errors.js';
import type { KubeObject } from '../../core/kube-object.js';
import type { Manifest } from '../../manifests/types.js';
import type { RenderContext } from '../types.js';
import { renderNodeConfigDaemonSet } from './render-node-config.js';
import { mirrorConfigYaml, renderConfigMap, renderServices, renderStatefulSet } from './render-registry.js';
import { checkMirrorSpec, resolveMirror } from './resolve.js';
import type { RegistryMirrorSpec } from './types.js';

/**
 * A RegistryMirror as Kubernetes objects: the registry's config, its Services, the caching registry
 * StatefulSet and the DaemonSet that points nodes at it.
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
  const mirror = resolveMirror(manifest.spec, context.settings.containerdConfigPath);
  const configYaml = mirrorConfigYaml(mirror);
  const target = { name: manifest.name, namespace, registryImage: context.settings.images.registry };
  const objects = [
    renderConfigMap(target, configYaml),
    ...renderServices(target, mirror),
    renderStatefulSet(target, manifest.spec, mirror, configYaml),
  ];
  const daemonSet = renderNodeConfigDaemonSet(
    { name: manifest.name, namespace, shellImage: context.settings.images.shell },
    manifest.spec,
    mirror,
  );
  if (daemonSet) objects.push(daemonSet);
  return objects;
}
