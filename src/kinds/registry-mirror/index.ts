import type { KindDefinition } from '../types.js';
import { convertMirrorOperator } from './mirror-operator.js';
import { observeRegistryMirror } from './observe.js';
import { renderRegistryMirror } from './render.js';
import { checkMirrorSpec } from './resolve.js';
import type { RegistryMirrorSpec } from './types.js';

/** RegistryMirror: an in-cluster pull-through cache of one upstream registry, and the nodes pointed at it. */
export const registryMirrorKind: KindDefinition<RegistryMirrorSpec> = {
  kind: 'RegistryMirror',
  // Written out rather than imported from kinds/registry.ts, which imports this module.
  apiVersion: 'image-gitops.io/v1alpha1',
  schemaFile: 'registry-mirror.schema.json',
  aliases: [
    {
      apiVersion: 'k8s.osp.tech/v1',
      kind: 'RegistryMirror',
      schemaFile: 'k8s.osp.tech-registrymirror.schema.json',
      convert: convertMirrorOperator,
    },
  ],
  check: checkMirrorSpec,
  produces: [
    { apiVersion: 'v1', kind: 'ConfigMap' },
    { apiVersion: 'v1', kind: 'Service' },
    { apiVersion: 'apps/v1', kind: 'StatefulSet' },
    { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  ],
  observe: (manifest, context) => observeRegistryMirror(manifest, context),
  render: (manifest, context) => renderRegistryMirror(manifest, context),
};
