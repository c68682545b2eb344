import type { Settings } from '../config/settings.js';
import type { CommitInfo } from '../core/commit.js';
import { mapBounded } from '../core/concurrency.js';
import { type Problem, problemFromError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS } from '../core/labels.js';
import { kindDefinition } from '../kinds/registry.js';
import type { ForeignPatch, ImagePlan, ObserveContext } from '../kinds/types.js';
import type { Manifest } from '../manifests/types.js';
import {
  abortReason,
  type RegistryLimits,
  type RegistryPolicy,
  registryLimitsFromEnv,
  registryPolicy,
} from '../registry/limits.js';
import { manifestId, stampObject } from '../render/stamp.js';
import { imageDetails } from '../status/details.js';
import { type RenderCache, type RenderInputs, settingsKey } from './render-cache.js';

export interface RenderedManifest {
  manifest: Manifest;
  objects: KubeObject[];
  problems: Problem[];
  /** Kind-specific facts from observe, for status (e.g. tags pending). */
  details?: Record<string, unknown>;
  /** What the manifest would do to images (KindDefinition.imagePlan), for `diff`. */
  imagePlan?: ImagePlan;
  /** Changes to objects the engine does not own that this manifest wants (KindDefinition.foreign). */
  foreign?: ForeignPatch[];
  /** What the kind keeps for this manifest's next observe (KindDefinition.remember), when observe ran. */
  memory?: { value: unknown };
}

export interface RenderInput {
  manifests: Manifest[];
  live: KubeObject[];
  commit: CommitInfo;
  namespace: string;
  settings: Settings;
  files: ReadonlyMap<string, Uint8Array>;
  /** What observe may read, for a manifest's namespace and its live objects. */
  observeContext(namespace: string, live: KubeObject[]): ObserveContext;
  concurrency?: number;
  /** Registry deadlines and budgets; read from the environment when absent (see registry/limits.ts). */
  limits?: RegistryLimits;
  /** What each manifest's kind kept from its last observe (stored state), by manifest key. */
  previous?: (key: string) => unknown;
  /** Last sync's renders, reused where no input of a render changed (render-cache.ts). */
  cache?: RenderCache;
}

/** Thrown when one manifest's observe step outlives its deadline. */
export class ObserveDeadlineError extends Error {
  constructor(ms: number) {
    super(
      `observe did not finish within ${Number((ms / 1000).toFixed(1))} s (OBSERVE_TIMEOUT_SECONDS): a registry or ` +
        'the cluster answered too slowly; objects kept as they are, retried next sync',
    );
    this.name = 'ObserveDeadlineError';
  }
}

/** The error an abort reason stands for, as abortReason (registry/limits.ts) makes it of a signal's. */
function abortError(reason: unknown): Error {
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : 'observe aborted');
}

/**
 * Runs one manifest's observe under its own deadline, on top of the sync's signal: the kind gets a signal
 * that aborts at whichever comes first, and the result is not waited for past it even if the kind does not
 * listen (its late answer is dropped). The kind's signal is made when the kind first reads it: most observe
 * steps never do, and one AbortSignal per manifest per sync was a tenth of the render step at 10,000.
 */
export async function observeWithin<T>(
  observe: (signal: () => AbortSignal) => Promise<T>,
  deadlineMs: number,
  outer: AbortSignal | undefined,
): Promise<T> {
  let ended: { reason: unknown } | undefined;
  let controller: AbortController | undefined;
  let reject: (error: Error) => void = () => {};
  const aborted = new Promise<never>((_, fail) => {
    reject = fail;
  });
  aborted.catch(() => {});
  const end = (reason: unknown) => {
    if (ended) return;
    ended = { reason };
    controller?.abort(reason);
    reject(abortError(reason));
  };
  const timer = setTimeout(() => end(new ObserveDeadlineError(deadlineMs)), deadlineMs);
  const onOuterAbort = () => end(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = () => {
    if (!controller) {
      controller = new AbortController();
      if (ended) controller.abort(ended.reason);
    }
    return controller.signal;
  };
  try {
    const work = observe(signal);
    work.catch(() => {});
    return await Promise.race([work, aborted]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

/** The context with its `signal` made on first read (observeWithin's). */
function withSignal<C extends object>(context: C, signal: () => AbortSignal): C & { signal: AbortSignal } {
  return Object.defineProperty(context, 'signal', {
    get: signal,
    enumerable: true,
    configurable: true,
  }) as C & {
    signal: AbortSignal;
  };
}

/** The summary and the image facts of the observed state, never its credentials (status/details.ts). */
const detailsOf = imageDetails;

/**
 * Observe (I/O, e.g. registry digests) then render (pure) each manifest; a failure is that manifest's
 * problem only, and its live objects are then kept as they are.
 */
export async function renderManifests(input: RenderInput): Promise<RenderedManifest[]> {
  const liveByManifest = new Map<string, KubeObject[]>();
  for (const object of input.live) {
    const id = object.metadata.labels?.[LABELS.manifestId] ?? '';
    const list = liveByManifest.get(id);
    if (list) list.push(object);
    else liveByManifest.set(id, [object]);
  }
  const limits = input.limits ?? registryLimitsFromEnv(process.env);
  const settings = input.cache ? settingsKey(input.settings) : '';
  // One budget of registry retry waits for the whole sync.
  const policy: RegistryPolicy = registryPolicy(limits);
  return mapBounded(input.manifests, input.concurrency ?? 4, async (manifest) => {
    const definition = kindDefinition(manifest.kind);
    if (!definition) {
      return {
        manifest,
        objects: [],
        problems: [{ code: 'UNKNOWN_KIND', message: `no kind ${manifest.kind}` }],
      };
    }
    const live = liveByManifest.get(manifestId(manifest.key)) ?? [];
    const namespace = manifest.namespace ?? input.namespace;
    const location = { file: manifest.origin.file, line: manifest.origin.line };
    let observed: unknown;
    try {
      const context = input.observeContext(namespace, live);
      const observe = definition.observe;
      if (context.signal?.aborted) throw abortReason(context.signal, 'sync aborted');
      const previous = input.previous?.(manifest.key);
      observed = observe
        ? await observeWithin(
            (signal) =>
              observe(
                manifest,
                withSignal(
                  { ...context, registry: policy, ...(previous !== undefined ? { previous } : {}) },
                  signal,
                ),
              ),
            limits.observeTimeoutMs,
            context.signal,
          )
        : undefined;
    } catch (error) {
      return { manifest, objects: [], problems: [problemFromError(error, 'OBSERVE_FAILED', location)] };
    }
    const memory =
      definition.remember && definition.observe ? { memory: { value: definition.remember(observed) } } : {};
    const inputs: RenderInputs = {
      manifest,
      namespace,
      settingsKey: settings,
      live,
      observed,
      ...(definition.rendersFromCommit ? { commit: input.commit.sha } : {}),
    };
    const cached = input.cache?.get(manifest.key, inputs);
    if (cached) return cached;
    try {
      const renderContext = {
        namespace,
        settings: input.settings,
        commit: input.commit,
        live,
        observed,
        files: input.files,
      };
      const objects = definition.render(manifest, renderContext);
      const imagePlan = definition.imagePlan?.(manifest, renderContext, objects);
      const stamped = objects.map((o) => stampObject(o, manifest, input.settings.instance, input.commit));
      const foreign = definition.foreign?.plan(manifest, observed) ?? [];
      const rendered: RenderedManifest = {
        manifest,
        objects: stamped,
        problems: [],
        details: detailsOf(observed),
        ...(imagePlan ? { imagePlan } : {}),
        ...(foreign.length > 0 ? { foreign } : {}),
        ...memory,
      };
      input.cache?.set(manifest.key, inputs, rendered);
      return rendered;
    } catch (error) {
      return {
        manifest,
        objects: [],
        problems: [problemFromError(error, 'RENDER_FAILED', location)],
        details: detailsOf(observed),
        ...memory,
      };
    }
  });
}
