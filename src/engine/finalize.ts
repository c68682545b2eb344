/**
 * Manifests that left Git whose kind still has something to undo outside the cluster (Finalizer, kinds/types.ts,
 * e.g. ImageSync deleting the tags it pushed): found by their stored memory, finalized once per sync, each as
 * a rendered manifest under its old key, so that the plan keeps the objects it still needs, its status shows
 * it until done, and `diff` shows its image plan. The reconciler calls it only when nothing forbids undoing
 * what removed manifests did (PRUNE=false, a refused prune): then their memory is held as it was.
 */
import type { CommitInfo } from '../core/commit.js';
import { mapBounded } from '../core/concurrency.js';
import { problemFromError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { LABELS } from '../core/labels.js';
import type { Logger } from '../core/logger.js';
import { kindDefinition } from '../kinds/registry.js';
import type { Finalizing, ObserveContext } from '../kinds/types.js';
import type { LoadedManifests } from '../manifests/types.js';
import type { Plan } from '../plan/plan.js';
import { registryLimitsFromEnv, registryPolicy } from '../registry/limits.js';
import { manifestId, stampObject } from '../render/stamp.js';
import { imageDetails } from '../status/details.js';
import { observeWithin, type RenderedManifest } from './render-manifests.js';

/** A kind's finalize gets this long past the observe deadline to answer with what it managed (its clock). */
const FINALIZE_GRACE_MS = 5_000;

export interface Departed {
  key: string;
  kind: string;
  memory: unknown;
}

/** The stored memories of manifests no longer in Git (valid or not) with something left to undo. Pure. */
export function departedManifests(
  memory: Readonly<Record<string, unknown>> | undefined,
  loaded: LoadedManifests,
): Departed[] {
  const present = new Set<string>([
    ...loaded.manifests.map((m) => m.key),
    ...loaded.invalid.flatMap((i) => (i.key ? [i.key] : [])),
  ]);
  return Object.entries(memory ?? {}).flatMap(([key, value]) => {
    const kind = key.split('/')[0] ?? '';
    const pending = !present.has(key) && kindDefinition(kind)?.finalize?.pending(value);
    return pending ? [{ key, kind, memory: value }] : [];
  });
}

/** Still to be kept by the plan: not done (memory kept), or failing (its objects kept this sync). */
export function stillFinalizing(r: RenderedManifest): boolean {
  return r.memory !== undefined || r.problems.length > 0;
}

export interface FinalizeInput {
  departed: readonly Departed[];
  live: readonly KubeObject[];
  namespace: string;
  instance: string;
  commit: CommitInfo;
  observeContext(namespace: string, live: KubeObject[]): ObserveContext;
}

/**
 * Each departed manifest's step as a rendered manifest: the objects it still needs (stamped as its own), its
 * status details and image plan, and its memory (absent once done). None for a manifest with nothing left to
 * undo. A finalize that throws (or outlives its deadline) fails the manifest and keeps its memory as it was.
 */
export async function finalizeDeparted(input: FinalizeInput): Promise<RenderedManifest[]> {
  const limits = registryLimitsFromEnv(process.env);
  const deadline = limits.observeTimeoutMs;
  const policy = registryPolicy(limits);
  const steps = await mapBounded(input.departed, 4, async (left) => {
    const definition = kindDefinition(left.kind);
    if (!definition?.finalize) return undefined;
    const live = input.live.filter((o) => o.metadata.labels?.[LABELS.manifestId] === manifestId(left.key));
    const context = input.observeContext(input.namespace, [...live]);
    try {
      const step = await observeWithin(
        (signal) =>
          definition.finalize!.step(left, {
            ...context,
            registry: policy,
            // The kind's own I/O stops at the deadline; the grace lets it report (and count) the try.
            signal: AbortSignal.any([signal(), AbortSignal.timeout(deadline)]),
          }),
        deadline + FINALIZE_GRACE_MS,
        context.signal,
      );
      return step ? asRendered(left.key, step, input) : undefined;
    } catch (error) {
      return failed(left.key, left.kind, left.memory, problemFromError(error, 'OBSERVE_FAILED'));
    }
  });
  return steps.filter((s): s is RenderedManifest => s !== undefined);
}

function asRendered(key: string, step: Finalizing, input: FinalizeInput): RenderedManifest {
  const manifest = { ...step.manifest, key };
  const problems = step.problems ?? [];
  const objects = problems.length > 0 ? [] : step.objects;
  const details = imageDetails(step.observed);
  return {
    manifest,
    objects: objects.map((o) => stampObject(o, manifest, input.instance, input.commit)),
    problems,
    ...(details ? { details } : {}),
    ...(step.imagePlan ? { imagePlan: step.imagePlan } : {}),
    ...(step.memory !== undefined ? { memory: { value: step.memory } } : {}),
  };
}

function failed(
  key: string,
  kind: string,
  memory: unknown,
  problem: ReturnType<typeof problemFromError>,
): RenderedManifest {
  const name = key.split('/').pop() ?? key;
  return {
    manifest: { key, kind, name, spec: undefined, origin: { file: '', line: 0, apiVersion: '', kind } },
    objects: [],
    problems: [{ ...problem, message: `manifest left Git; finishing it failed: ${problem.message}` }],
    memory: { value: memory },
  };
}

export interface PlanWithDepartedInput {
  /** The manifests in Git, rendered and guarded. */
  rendered: RenderedManifest[];
  departed: readonly Departed[];
  /** PRUNE */
  pruneEnabled: boolean;
  /** The sync's plan of these rendered manifests. */
  plan(rendered: RenderedManifest[]): Plan;
  finalize(departed: readonly Departed[]): Promise<RenderedManifest[]>;
  log: Pick<Logger, 'info' | 'warn'>;
}

/**
 * The plan, then the departed manifests' finalize steps, once the plan shows that nothing forbids undoing what
 * removed manifests did (PRUNE=false, a refused prune: then they are `held`, their memory kept as it was and
 * nothing of them undone), and the plan again with the objects they still need. The prune guard is decided
 * by the first plan: the second only keeps objects the first would prune.
 */
export async function planWithDeparted(
  input: PlanWithDepartedInput,
): Promise<{ plan: Plan; finalizing: RenderedManifest[]; held: string[] }> {
  const { rendered, departed, log } = input;
  const plan = input.plan(rendered);
  if (departed.length === 0) return { plan, finalizing: [], held: [] };
  if (plan.pruneRefused || !input.pruneEnabled) {
    log.warn('manifests that left Git are not finalized: nothing of a removed manifest is undone', {
      manifests: departed.map((d) => d.key),
      why: plan.pruneRefused ? 'the prune was refused' : 'PRUNE=false',
    });
    return { plan, finalizing: [], held: departed.map((d) => d.key) };
  }
  const finalizing = await input.finalize(departed);
  for (const r of finalizing) {
    const fields = { manifest: r.manifest.key, observed: r.details?.observed };
    if (r.problems.length > 0)
      log.warn('manifest that left Git: finalize failed', { ...fields, problem: r.problems[0] });
    else
      log.info(r.memory ? 'manifest that left Git: finalizing' : 'manifest that left Git: finalized', fields);
  }
  const kept = finalizing.filter(stillFinalizing);
  return { plan: kept.length > 0 ? input.plan([...rendered, ...kept]) : plan, finalizing, held: [] };
}
