// Plain-data inputs for ImageBuild's pure functions: a manifest, a render context, repo files.
import { DEFAULT_SETTINGS, type Settings } from '../../../src/config/settings.js';
import type { KubeObject } from '../../../src/core/kube-object.js';
import type { ImageBuildObserved } from '../../../src/kinds/image-build/observe.js';
import type { ImageBuildSpec } from '../../../src/kinds/image-build/types.js';
import type { RenderContext } from '../../../src/kinds/types.js';
import type { Manifest } from '../../../src/manifests/types.js';

export const COMMIT_A = 'a'.repeat(40);
export const COMMIT_B = 'b'.repeat(40);

export function buildManifest(spec: Partial<ImageBuildSpec> = {}, name = 'app'): Manifest<ImageBuildSpec> {
  return {
    key: `ImageBuild/${name}`,
    kind: 'ImageBuild',
    name,
    spec: { image: 'registry.example.com/team/app', context: { path: 'image-build/app' }, ...spec },
    origin: {
      file: 'image-build/app.yaml',
      line: 1,
      apiVersion: 'image-gitops.io/v1alpha1',
      kind: 'ImageBuild',
    },
  };
}

export function repoFiles(extra: Record<string, string | null> = {}): Map<string, string> {
  const files: Record<string, string | null> = {
    'image-build/app.yaml': 'kind: ImageBuild',
    'image-build/app/Dockerfile': 'FROM busybox\nCOPY hello.txt /hello.txt\n',
    'image-build/app/hello.txt': 'hello\n',
    'other/readme.md': 'not in the context',
    ...extra,
  };
  return new Map(Object.entries(files).filter((e): e is [string, string] => e[1] !== null));
}

export function renderContext(
  options: {
    files?: Map<string, string>;
    commit?: string;
    live?: KubeObject[];
    observed?: ImageBuildObserved;
    settings?: Settings;
  } = {},
): RenderContext<ImageBuildObserved> {
  return {
    namespace: 'builds',
    settings: options.settings ?? DEFAULT_SETTINGS,
    commit: {
      sha: options.commit ?? COMMIT_A,
      author: 'dev',
      date: '2026-01-01T00:00:00Z',
      message: 'change',
    },
    live: options.live ?? [],
    observed: options.observed ?? {},
    files: asBytes(options.files ?? repoFiles()),
  };
}

/** The engine hands kinds raw bytes; fixtures are written as text. */
function asBytes(files: ReadonlyMap<string, string | Uint8Array>): Map<string, Uint8Array> {
  return new Map(
    [...files].map(([path, content]) => [path, typeof content === 'string' ? Buffer.from(content) : content]),
  );
}

export function byKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function only(objects: KubeObject[], kind: string): KubeObject {
  const found = byKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, got ${found.length}`);
  return found[0] as KubeObject;
}

interface PodSpecLike {
  initContainers?: Array<Record<string, unknown>>;
  containers: Array<
    Record<string, unknown> & {
      name: string;
      command?: string[];
      env?: Array<{ name: string; value: string }>;
    }
  >;
  [key: string]: unknown;
}

export function podSpec(job: KubeObject): PodSpecLike {
  return (job.spec as { template: { spec: PodSpecLike } }).template.spec;
}

export function buildContainer(job: KubeObject) {
  const container = podSpec(job).containers.find((c) => c.name === 'build');
  if (!container) throw new Error('no build container');
  return container;
}

export function buildScript(job: KubeObject): string {
  return buildContainer(job).command?.[2] ?? '';
}
