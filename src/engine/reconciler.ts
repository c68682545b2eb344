import type { StepResult } from '../apply/executor.js';
import { executePlan } from '../apply/executor.js';
import type { ReconcilerConfig } from '../config/reconciler-config.js';
import { type Problem, problemFromError } from '../core/errors.js';
import type { KubeObject } from '../core/kube-object.js';
import { KINDS, kindDefinition } from '../kinds/registry.js';
import type { KubeApi } from '../kube/types.js';
import { loadManifests } from '../manifests/load.js';
import { SchemaValidator } from '../manifests/schema-validator.js';
import type { LoadedManifests } from '../manifests/types.js';
import { type Plan, planSync, versionMarker } from '../plan/plan.js';
import { type Logger, silentLogger } from '../run/logger.js';
import { GitSource, type SourceSnapshot } from '../source/git-source.js';
import { emitStatusEvents } from '../status/events.js';
import { buildManifestStatuses } from '../status/report.js';
import { StatusStore, type StoredState } from '../status/store.js';
import type { ManifestStatus, SyncReport, SyncResult } from '../status/types.js';
import { listOwnedObjects } from './owned.js';
import { type RenderedManifest, renderManifests } from './render-manifests.js';

export interface ReconcilerOptions {
  config: ReconcilerConfig;
  kube: KubeApi;
  logger?: Logger;
  /** Defaults to a GitSource built from config.git. */
  source?: Pick<GitSource, 'resolveRemoteCommit' | 'snapshotAt'>;
}

export interface SyncOptions {
  /** Plan only: nothing is written (the `diff` command). */
  dryRun?: boolean;
  /** Allow a prune over the configured share (an intended mass removal). */
  allowMassPrune?: boolean;
  signal?: AbortSignal;
}

/** Everything one sync decided, for the diff command and tests. */
export interface SyncOutcome {
  report: SyncReport;
  plan?: Plan;
  rendered: RenderedManifest[];
}

/**
 * The pipeline, as named steps: source → manifests → render → plan → apply (and prune) → status.
 * Each step returns data; a failure in one manifest is that manifest's status, never the others'.
 */
export class Reconciler {
  private readonly config: ReconcilerConfig;
  private readonly kube: KubeApi;
  private readonly log: Logger;
  private readonly source: Pick<GitSource, 'resolveRemoteCommit' | 'snapshotAt'>;
  private readonly store: StatusStore;
  private readonly validator = new SchemaValidator();
  private state?: StoredState;
  private parsed?: { snapshot: SourceSnapshot; loaded: LoadedManifests; files: Map<string, Uint8Array> };
  private last?: SyncReport;

  constructor(options: ReconcilerOptions) {
    this.config = options.config;
    this.kube = options.kube;
    this.log = options.logger ?? silentLogger;
    this.source =
      options.source ??
      new GitSource({
        url: options.config.git.url,
        branch: options.config.git.branch,
        tag: options.config.git.tag,
        commit: options.config.git.commit,
        path: options.config.git.path,
        cacheDir: options.config.git.cacheDir,
        credentials: options.config.git.credentials,
        timeoutMs: options.config.git.timeoutMs,
        maxFileBytes: options.config.git.maxFileBytes,
      });
    this.store = new StatusStore(this.kube, this.config.namespace, this.config.settings.instance);
  }

  lastReport(): SyncReport | undefined {
    return this.last;
  }

  async sync(trigger: SyncReport['trigger'], signal?: AbortSignal): Promise<SyncReport> {
    return (await this.run(trigger, { signal })).report;
  }

  /** One pass of the pipeline; with dryRun, the plan is made but nothing is written. */
  async run(trigger: SyncReport['trigger'], options: SyncOptions = {}): Promise<SyncOutcome> {
    const started = new Date();
    const report = (partial: Partial<SyncReport> & Pick<SyncReport, 'result'>): SyncReport => {
      const finished = new Date();
      return {
        startedAt: started.toISOString(),
        finishedAt: finished.toISOString(),
        durationSeconds: (finished.getTime() - started.getTime()) / 1000,
        trigger,
        fetchSkipped: false,
        manifests: [],
        fileProblems: [],
        counts: { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 },
        appliedByKind: {},
        prunedByKind: {},
        ...partial,
      };
    };

    // 1. Source: ask the remote for its commit; fetch and parse only when it moved.
    const gitStarted = Date.now();
    let snapshot: SourceSnapshot;
    let fetchSkipped = false;
    try {
      const sha = await this.source.resolveRemoteCommit();
      if (this.parsed && this.parsed.snapshot.commit.sha === sha) {
        snapshot = this.parsed.snapshot;
        fetchSkipped = true;
      } else {
        snapshot = await this.source.snapshotAt(sha);
        fetchSkipped = !snapshot.fetched;
      }
    } catch (error) {
      const problem = problemFromError(error, 'GIT_FETCH');
      this.log.warn('source unavailable; keeping what is applied', { error: problem.message });
      const failed = report({
        result: 'Failed',
        error: problem,
        gitFetchSeconds: (Date.now() - gitStarted) / 1000,
        manifests: this.last?.manifests ?? [],
        ...(this.last?.commit ? { commit: this.last.commit } : {}),
      });
      if (!options.dryRun) this.last = failed;
      return { report: failed, rendered: [] };
    }
    const gitFetchSeconds = (Date.now() - gitStarted) / 1000;
    const commit = snapshot.commit;

    // 2. Manifests: parse and validate (cached per commit).
    if (!this.parsed || this.parsed.snapshot.commit.sha !== commit.sha) {
      const loaded = loadManifests(snapshot.files, this.validator);
      this.parsed = {
        snapshot,
        loaded,
        files: new Map(snapshot.files.map((f) => [f.path, f.bytes ?? Buffer.from(f.content)])),
      };
    }
    const { loaded, files } = this.parsed;
    const fileProblems: Problem[] = [...snapshot.problems, ...loaded.fileProblems];
    for (const problem of fileProblems) this.log.warn('file problem', { problem });

    try {
      // 3. Live: what we own, by label, in every namespace we have written to or will write to.
      this.state ??= (await this.store.load()) ?? { manifests: [], appliedVersions: {}, namespaces: [] };
      const namespaces = new Set([this.config.namespace, ...this.state.namespaces]);
      for (const m of loaded.manifests) if (m.namespace) namespaces.add(m.namespace);
      const live = await listOwnedObjects(this.kube, this.config.settings.instance, namespaces);

      // 4. Render each valid manifest (observe, then pure render).
      const rendered = await renderManifests({
        manifests: loaded.manifests,
        live,
        commit,
        namespace: this.config.namespace,
        settings: this.config.settings,
        files,
        observeContext: {
          settings: this.config.settings,
          readSecret: (ns, name) => this.readSecret(ns, name),
          listObjects: (type, ns, selector) => this.kube.list(type, ns, selector),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      });

      // 5. Plan: desired against live; failing manifests and broken files keep their objects.
      const desired = new Map<string, KubeObject[]>();
      const protectedManifests = new Set<string>();
      for (const r of rendered) {
        if (r.problems.length > 0) protectedManifests.add(r.manifest.key);
        else desired.set(r.manifest.key, r.objects);
      }
      for (const invalid of loaded.invalid) if (invalid.key) protectedManifests.add(invalid.key);
      const protectedFiles = new Set<string>([
        ...loaded.invalid.map((i) => i.origin.file),
        ...fileProblems.map((p) => p.location?.file ?? ''),
      ]);
      const plan = planSync({
        desired,
        live,
        protectedManifests,
        protectedFiles,
        presentManifests: new Set(desired.keys()),
        appliedVersions: new Map(Object.entries(this.state.appliedVersions)),
        maxPruneShare: this.config.prune.maxShare,
        allowPrune: options.allowMassPrune || this.config.prune.allowMassPrune,
        pruneEnabled: this.config.prune.enabled,
      });
      if (plan.pruneRefused) {
        this.log.error(
          'PRUNE REFUSED: the repo would remove too much of what is owned; set ALLOW_MASS_PRUNE=true or `sync --allow-mass-prune` if intended',
          plan.pruneRefused,
        );
      }

      // 6. Apply and prune (or only report, in a dry run).
      const results: StepResult[] = options.dryRun
        ? plan.steps.map((step) => ({ step, ok: true }))
        : await executePlan(this.kube, plan, { concurrency: this.config.applyConcurrency });
      if (!options.dryRun) await this.runExternalEffects(rendered, loaded);

      // 7. Status: per manifest, stored in the cluster and sent as Events when it changed.
      const statuses = buildManifestStatuses({
        rendered,
        invalid: loaded.invalid,
        results,
        commit,
        dryRun: !!options.dryRun,
      });
      const final = report({
        result: overallResult(statuses, results, fileProblems, plan),
        commit,
        fetchSkipped,
        gitFetchSeconds,
        manifests: statuses,
        fileProblems,
        ...countResults(results),
        ...(plan.pruneRefused
          ? { pruneRefused: plan.pruneRefused, error: pruneRefusedProblem(plan.pruneRefused) }
          : {}),
      });
      if (!options.dryRun) {
        await this.saveState(results, statuses, commit.sha);
        this.last = final;
      }
      return { report: final, plan, rendered };
    } catch (error) {
      const problem = problemFromError(error, 'KUBE_API');
      this.log.error('sync failed', { error: problem.message });
      const failed = report({
        result: 'Failed',
        error: problem,
        commit,
        fetchSkipped,
        gitFetchSeconds,
        fileProblems,
      });
      if (!options.dryRun) this.last = failed;
      return { report: failed, rendered: [] };
    }
  }

  /**
   * Kinds' effects on objects we do not own (ImageBackup's workload rewrite), after apply: for each valid
   * manifest, then once per kind to undo what removed manifests did. Problems land in the manifest's status.
   */
  private async runExternalEffects(rendered: RenderedManifest[], loaded: LoadedManifests): Promise<void> {
    const context = {
      apply: async (object: KubeObject, fieldManager: string) => {
        await this.kube.apply(object, { force: true, fieldManager });
      },
      listObjects: (type: Parameters<KubeApi['list']>[0], ns?: string, selector?: string) =>
        this.kube.list(type, ns, selector),
    };
    for (const r of rendered) {
      const external = kindDefinition(r.manifest.kind)?.external;
      if (!external) continue;
      if (r.problems.length > 0) continue;
      const messages = await external
        .reconcile(r.manifest, r.observed, context)
        .catch((e: unknown) => [String(e)]);
      r.problems.push(
        ...messages.map((message) => ({
          code: 'KUBE_API' as const,
          message,
          location: { file: r.manifest.origin.file, line: r.manifest.origin.line },
        })),
      );
    }
    for (const definition of KINDS) {
      if (!definition.external) continue;
      const present = new Set<string>([
        ...loaded.manifests.filter((m) => m.kind === definition.kind).map((m) => m.key),
        ...loaded.invalid.filter((i) => i.kind === definition.kind && i.key).map((i) => i.key!),
      ]);
      const hadAny = this.state?.manifests.some((m) => m.kind === definition.kind);
      if (present.size === 0 && !hadAny) continue; // nothing of this kind now or before: nothing to undo
      const messages = await definition.external
        .undoRemoved(present, context)
        .catch((e: unknown) => [String(e)]);
      for (const message of messages)
        this.log.warn('undo of a removed manifest failed', { kind: definition.kind, error: message });
    }
  }

  private async readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const secret = await this.kube.get({ apiVersion: 'v1', kind: 'Secret' }, namespace, name);
    if (!secret) return undefined;
    const data = (secret.data ?? {}) as Record<string, string>;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  }

  private async saveState(results: StepResult[], statuses: ManifestStatus[], sha: string): Promise<void> {
    const previous = this.state!;
    const versions: Record<string, string> = {};
    const namespaces = new Set<string>(previous.namespaces);
    for (const r of results) {
      if (!r.ok) continue;
      const { action, live } = r.step;
      if ((action === 'create' || action === 'update') && r.applied?.metadata.uid) {
        versions[r.applied.metadata.uid] = versionMarker(r.applied);
        if (r.applied.metadata.namespace) namespaces.add(r.applied.metadata.namespace);
      } else if (action === 'unchanged' && live?.metadata.uid) {
        versions[live.metadata.uid] = previous.appliedVersions[live.metadata.uid] ?? versionMarker(live);
      }
    }
    const next: StoredState = {
      commit: sha,
      manifests: statuses.map(steadyStatus),
      appliedVersions: versions,
      namespaces: [...namespaces].sort(),
    };
    // This sync's statuses, not the steady ones: only they tell whether something was applied.
    await emitStatusEvents(this.kube, this.store.objectRef, previous.manifests, statuses, this.log);
    await this.store
      .save(next)
      .catch((error: unknown) => this.log.warn('status not saved', { error: String(error) }));
    this.state = next;
  }
}

/**
 * Status as stored: what a manifest is, not what the last pass did, so that a sync after an apply with
 * nothing new stores the same state and writes nothing.
 */
function steadyStatus(status: ManifestStatus): ManifestStatus {
  const settled = status.result === 'Applied' || status.result === 'Unchanged';
  return {
    ...status,
    result: settled ? 'Unchanged' : status.result,
    message: settled ? '' : status.message,
    objects: status.objects
      .filter((o) => o.outcome !== 'pruned')
      .map((o) => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        ...(o.namespace ? { namespace: o.namespace } : {}),
        name: o.name,
        action: o.action === 'kept' ? 'kept' : 'unchanged',
        outcome: o.outcome === 'failed' || o.outcome === 'kept' ? o.outcome : 'unchanged',
        ...(o.health ? { health: o.health } : {}),
      })),
  };
}

function countResults(results: StepResult[]): Pick<SyncReport, 'counts' | 'appliedByKind' | 'prunedByKind'> {
  const counts = { applied: 0, unchanged: 0, pruned: 0, failed: 0, kept: 0 };
  const appliedByKind: Record<string, number> = {};
  const prunedByKind: Record<string, number> = {};
  for (const r of results) {
    const kind = r.step.object.kind;
    if (!r.ok) counts.failed++;
    else if (r.step.action === 'create' || r.step.action === 'update') {
      counts.applied++;
      appliedByKind[kind] = (appliedByKind[kind] ?? 0) + 1;
    } else if (r.step.action === 'delete') {
      counts.pruned++;
      prunedByKind[kind] = (prunedByKind[kind] ?? 0) + 1;
    } else if (r.step.action === 'kept') counts.kept++;
    else counts.unchanged++;
  }
  return { counts, appliedByKind, prunedByKind };
}

function overallResult(
  statuses: ManifestStatus[],
  results: StepResult[],
  fileProblems: Problem[],
  plan: Plan,
): SyncResult {
  const failing =
    statuses.some((s) => s.result === 'Failed' || s.result === 'Invalid') || fileProblems.length > 0;
  if (plan.pruneRefused) return 'PartiallyFailed';
  if (failing || results.some((r) => !r.ok)) return 'PartiallyFailed';
  if (results.every((r) => r.step.action === 'unchanged' || r.step.action === 'kept')) return 'NoChange';
  return 'Succeeded';
}

function pruneRefusedProblem(refused: NonNullable<Plan['pruneRefused']>): Problem {
  return {
    code: 'PRUNE_REFUSED',
    message: `prune refused: it would delete ${refused.wouldDelete} of ${refused.owned} owned objects (over the ${Math.round(refused.maxShare * 100)}% bound). If the removal is intended, sync with --allow-mass-prune or set ALLOW_MASS_PRUNE=true`,
  };
}
