// Synthetic config repos for the benchmark: kinds whose render is pure (no registry calls in observe), so
// that what is timed is the engine's own work, not the network.
import type { Settings } from '../src/config/settings.js';
import type { KubeObject } from '../src/core/kube-object.js';
import type { ObserveContext } from '../src/kinds/types.js';
import type { SourceFile } from '../src/manifests/types.js';

/** One RegistryMirror for every this many manifests; the rest are ImagePrepull. */
const MIRROR_EVERY = 4;

function pad(i: number): string {
  return String(i).padStart(5, '0');
}

function prepullManifest(i: number): string {
  const images = [0, 1, 2]
    .map(
      (j) =>
        `    - name: tool-${j}\n      image: registry.example.com/team-${i % 37}/tool-${j}:1.${i % 50}.${j}`,
    )
    .join('\n');
  return [
    'apiVersion: image-gitops.io/v1alpha1',
    'kind: ImagePrepull',
    'metadata:',
    `  name: prepull-${pad(i)}`,
    'spec:',
    '  images:',
    images,
    '  nodeSelector:',
    '    kubernetes.io/os: linux',
    '  tolerations:',
    '    - key: dedicated',
    '      operator: Equal',
    `      value: pool-${i % 7}`,
    '      effect: NoSchedule',
    '',
  ].join('\n');
}

function mirrorManifest(i: number): string {
  return [
    'apiVersion: image-gitops.io/v1alpha1',
    'kind: RegistryMirror',
    'metadata:',
    `  name: mirror-${pad(i)}`,
    'spec:',
    `  upstreamUrl: registry-${pad(i)}.example.com`,
    '  storage:',
    '    size: 10Gi',
    '  resources:',
    '    requests: { cpu: 100m, memory: 128Mi }',
    '    limits: { memory: 512Mi }',
    '  nodes:',
    '    tolerations:',
    '      - operator: Exists',
    '',
  ].join('\n');
}

/** `count` manifests, one per file, in folders of at most 500 files (a repo as a team would lay it out). */
export function generateRepo(count: number): SourceFile[] {
  const files: SourceFile[] = [];
  for (let i = 0; i < count; i++) {
    const mirror = i % MIRROR_EVERY === MIRROR_EVERY - 1;
    const folder = `${mirror ? 'mirrors' : 'prepull'}/group-${Math.floor(i / 500)}`;
    const name = `${mirror ? 'mirror' : 'prepull'}-${pad(i)}.yaml`;
    files.push({ path: `${folder}/${name}`, content: mirror ? mirrorManifest(i) : prepullManifest(i) });
  }
  return files;
}

/**
 * The one-manifest commit of the bench: the first ImagePrepull's file with one image's tag changed, so that
 * exactly one object (its DaemonSet) changes.
 */
export function changeOneManifest(files: readonly SourceFile[]): SourceFile {
  const file = files.find((f) => f.content.includes('kind: ImagePrepull'));
  if (!file) throw new Error('the generated repo has no ImagePrepull');
  const content = file.content.replace(/(image: \S+:)(\S+)/, '$1$2-changed');
  return { path: file.path, content };
}

/** The same repo as the git server's createRepo takes it. */
export function repoFiles(files: readonly SourceFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.content]));
}

/** The benchmarked kinds render without reading the cluster: observe sees no Secrets and no objects. */
export function offlineObserveContext(settings: Settings) {
  return (namespace: string, live: KubeObject[]): ObserveContext => ({
    namespace,
    settings,
    live,
    readSecret: async () => undefined,
    listObjects: async () => [],
  });
}
