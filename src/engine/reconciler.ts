import { executePlan } from '../apply/executor.js';
import { DEFAULT_RETRY } from '../apply/retry.js';
import { clusterWriter, dryRunWriter, type Writer } from '../apply/writer.js';
import type { ReconcilerConfig } from '../config/reconciler-config.js';
import type { CommitInfo } from '../core/commit.js';
import { type Problem, problemFromError } from '../core/errors.js';
import { type KubeObject, objectRef } from '../core/kube-object.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { loadManifests } from '../kinds/registry.js';
import type { ObserveContext } from '../kinds/types.js';
import type { KubeApi } from '../kube/types.js';
import { FileReadings } from '../manifests/load.js';
import { SchemaValidator } from '../manifests/schema-validator.js';
import type { LoadedManifests } from '../manifests/types.js';
import type { Change } from '../plan/change.js';
import { type Plan, planSync } from '../plan/plan.js';
import type { PullLedger } from '../registry/pull-budget.js';
import { GitSource } from '../source/git-source.js';
import type { ManifestSource, SourceSnapshot } from '../source/types.js';
import { withChangedIn } from '../status/changed-in.js';
import { emitStatusEvents } from '../status/events.js';
import { appendHistory, historyEntry, type SyncHistoryEntry } from '../status/history.js';
import { buildManifestStatuses } from '../status/report.js';
import { StatusStore, type StoredState } from '../status/store.js';
import type { IgnoredFile, ManifestStatus, SyncReport, SyncStep } from '../status/types.js';
import { departedManifests, finalizeDeparted, planWithDeparted } from './finalize.js';
import { foreignChanges, leftBehindChanges } from './foreign-changes.js';
import {
  locateProblems,
  refuseDuplicateObjects,
  refuseForbiddenSecretRefs,
  refuseForeignObjects,
} from './guards.js';
import { keptMemory, nextStoredState } from './next-state.js';
import { clusterObserveContext } from './observe-context.js';
import { OwnedObjects } from './owned.js';
import { chargeCreatedJobs, openPullBudgets } from './pull-budgets.js';
import { RenderCache } from './render-cache.js';
import { type RenderedManifest, renderManifests } from './render-manifests.js';
import { SecretGate } from './secret-access.js';
import { countResults, overallResult, pruneRefusedProblem, reportBuilder } from './summary.js';

export interface ReconcilerOptions {
  config: ReconcilerConfig;
  kube: KubeApi;
  logger?: Logger;
  /** Defaults to a GitSource built from config.git (the CLI's `--dir` gives a LocalSource). */
  source?: ManifestSource;
  /** Told the stored statuses and this sync's, after each sync that wrote them (the webhook notifier). */
  onStatusChanges?: (previous: ManifestStatus[], next: ManifestStatus[]) => void;
  /**
   * Keep what this instance owns by watches rather than listing it at every sync (the daemon, with
   * WATCH_OWNED); `close()` stops them. Off for one-shot runs (the CLI), which list.
   */
  watchOwned?: boolean;
}

export interface SyncOptions {
  /**
   * Every write a server-side dry-run (the `diff` command): the same pipeline with a dry-run writer, so the
   * server validates and admits each object as in a sync; nothing is stored, no status or history written.
   */
  dryRun?: boolean;
  /** Allow a prune over the configured share (an intended mass removal). */
  allowMassPrune?: boolean;
  signal?: AbortSignal;
}

/** Everything one sync decided, for the diff command and tests. */
export interface SyncOutcome {
  report: SyncReport;
  plan?: Plan;
  /** The plan's changes, each with what the writer answered (the server's object, or its refusal). */
  changes?: Change[];
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
  private readonly source: ManifestSource;
  private readonly store: StatusStore;
  private readonly onStatusChanges: ReconcilerOptions['onStatusChanges'];
  private readonly validator = new SchemaValidator();
  /** Last sync's renders, reused where nothing a render reads has changed (render-cache.ts). */
  private readonly renderCache = new RenderCache();
  /** Each file's parse and validation of the commit before, reused while its content is the same. */
  private readonly fileReadings = new FileReadings();
  /** When the last sync that reused nothing ran (0: none yet, so the first sync is one). */
  private lastFullPass = 0;
  /** Whether this sync is a full pass (it lists what we own, whatever the watches hold). */
  private fullPass = false;
  /** What this instance owns, listed or watched (owned.ts). */
  readonly owned: OwnedObjects;
  private state?: StoredState;
  /** This sync's pull budgets (pull-budgets.ts): read from the stored state, charged for the Jobs created. */
  private pullBudgets = openPullBudgets(undefined);
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
    this.onStatusChanges = options.onStatusChanges;
    this.owned = new OwnedObjects(this.kube, this.config.settings.instance, {
      watch: !!options.watchOwned,
      onWatchError: (collection, error) =>
        this.log.warn('watch of owned objects failed; listing them until it is back', {
          collection,
          error: String(error),
        }),
    });
  }

  /** Stops the watches of owned objects, if any. */
  async close(): Promise<void> {
    await this.owned.stop();
  }

  lastReport(): SyncReport | undefined {
    return this.last;
  }

  /** The sync history as this process last stored it (or will store it with the next write), newest first. */
  history(): readonly SyncHistoryEntry[] {
    return this.state?.history ?? [];
  }

  async sync(trigger: SyncReport['trigger'], signal?: AbortSignal): Promise<SyncReport> {
    return (await this.run(trigger, { signal })).report;
  }

  /** One pass of the pipeline; with dryRun, the plan is made but nothing is written. */
  async run(trigger: SyncReport['trigger'], options: SyncOptions = {}): Promise<SyncOutcome> {
    const report = reportBuilder(trigger);
    const steps = stepClock();
    this.fullPassIfDue();
    const source = await this.fetchSource();
    steps.done('source');
    if ('error' in source) {
      this.log.warn('source unavailable; keeping what is applied', { error: source.error.message });
      const failed = report({
        result: 'Failed',
        error: source.error,
        gitFetchSeconds: source.seconds,
        manifests: this.last?.manifests ?? [],
        ...(this.last?.commit ? { commit: this.last.commit } : {}),
      });
      if (!options.dryRun) await this.recordSourceError(source.error, historyEntry(failed));
      return this.finish({ report: failed, rendered: [] }, options);
    }
    const { snapshot, fetchSkipped, seconds: gitFetchSeconds } = source;
    const commit = snapshot.commit;
    const { loaded, files, fileProblems, ignored, filesParsed } = this.loadManifestsAt(snapshot);
    steps.done('manifests');
    try {
      const state = await this.storedState();
      const { objects: live, listed: collectionsListed } = await this.listLive(loaded, state);
      steps.done('live');
      throwIfAborted(options.signal);
      const gate = new SecretGate(this.kube, this.config.settings.manifestSecrets);
      const { rendered: unguarded, reused: rendersReused } = await this.renderAll(
        loaded,
        live,
        commit,
        files,
        gate,
        state,
        options,
      );
      const rendered = await this.guard(unguarded, live, gate);
      const leftBehind = await leftBehindChanges(
        this.kube,
        loaded,
        (kind) => state.manifests.some((m) => m.kind === kind),
        this.log,
      );
      steps.done('render');
      // Manifests that left Git and still have something to undo (finalize.ts), once the plan allows it.
      const { plan, finalizing, held } = await planWithDeparted({
        rendered,
        departed: departedManifests(state.memory, loaded),
        pruneEnabled: this.config.prune.enabled,
        plan: (all) => this.planChanges(all, loaded, live, fileProblems, state, leftBehind, options),
        // Under the same guards as rendered manifests (an object another instance or someone else made).
        finalize: async (departed) =>
          this.guard(
            await finalizeDeparted({
              departed,
              live,
              namespace: this.config.namespace,
              instance: this.config.settings.instance,
              commit,
              observeContext: this.observeContextFor(gate, options),
            }),
            live,
            gate,
          ),
        log: this.log,
      });
      steps.done('plan');
      throwIfAborted(options.signal);
      const writer = options.dryRun ? dryRunWriter(this.kube) : clusterWriter(this.kube);
      const results = await this.applyPlan(writer, plan, options.signal);
      if (!options.dryRun) this.owned.recordWrites(results);
      const pullBudgets = options.dryRun ? undefined : chargeCreatedJobs(this.pullBudgets, results);
      steps.done('apply');
      const statuses = withChangedIn(
        buildManifestStatuses({
          rendered: [...rendered, ...finalizing],
          invalid: loaded.invalid,
          results,
          commit,
          dryRun: !!options.dryRun,
          fileProblems,
        }),
        loaded.manifests,
        state.manifests,
        commit,
      );
      const done = (notSaved?: Problem) =>
        report({
          result: notSaved ? 'Failed' : overallResult(statuses, results, fileProblems, plan),
          commit,
          fetchSkipped,
          gitFetchSeconds,
          stepSeconds: steps.seconds(),
          rendersReused,
          filesParsed,
          collectionsListed,
          manifests: statuses,
          fileProblems,
          ...countResults(results),
          ...(ignored.length > 0 ? { ignored } : {}),
          ...(plan.pruneRefused
            ? { pruneRefused: plan.pruneRefused, error: pruneRefusedProblem(plan.pruneRefused) }
            : {}),
          ...(notSaved ? { error: notSaved } : {}),
        });
      // The history entry is written with the status, so it is the report as it stands before the write.
      const notSaved = options.dryRun
        ? undefined
        : await this.saveState(
            results,
            statuses,
            commit.sha,
            fileProblems,
            ignored,
            historyEntry(done()),
            keptMemory(this.state?.memory, [...rendered, ...finalizing], loaded, held),
            pullBudgets,
          );
      steps.done('status');
      const final = done(notSaved);
      return this.finish(
        { report: final, plan, changes: results, rendered: [...rendered, ...finalizing] },
        options,
      );
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
      // Not written now (the API server is likely what failed): the next status write carries it.
      if (!options.dryRun && this.state) this.state = this.withHistory(this.state, historyEntry(failed));
      return this.finish({ report: failed, rendered: [] }, options);
    }
  }

  private withHistory(state: StoredState, entry: SyncHistoryEntry): StoredState {
    return { ...state, history: appendHistory(state.history, entry, this.config.observability.historyLimit) };
  }

  private finish(outcome: SyncOutcome, options: SyncOptions): SyncOutcome {
    if (!options.dryRun) this.last = outcome.report;
    return outcome;
  }

  /**
   * The safety net under incremental sync: now and then (FULL_SYNC_INTERVAL, and the first sync of a
   * process) reuse nothing of the syncs before: every file parsed and every manifest rendered afresh.
   */
  private fullPassIfDue(): void {
    const now = Date.now();
    this.fullPass = now - this.lastFullPass >= this.config.fullSyncIntervalMs;
    if (!this.fullPass) return;
    this.renderCache.clear();
    this.fileReadings.clear();
    this.parsed = undefined;
    this.lastFullPass = now;
  }

  /** 1. Source: ask the remote for its commit; fetch only when it moved (and reuse the last snapshot if not). */
  private async fetchSource(): Promise<
    { snapshot: SourceSnapshot; fetchSkipped: boolean; seconds: number } | { error: Problem; seconds: number }
  > {
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    try {
      const sha = await this.source.resolveRemoteCommit();
      if (this.parsed?.snapshot.commit.sha === sha)
        return { snapshot: this.parsed.snapshot, fetchSkipped: true, seconds: seconds() };
      const snapshot = await this.source.snapshotAt(sha);
      return { snapshot, fetchSkipped: !snapshot.fetched, seconds: seconds() };
    } catch (error) {
      return { error: problemFromError(error, 'GIT_FETCH'), seconds: seconds() };
    }
  }

  /** 2. Manifests: parse and validate, once per commit, and only the files whose content changed. */
  private loadManifestsAt(snapshot: SourceSnapshot): {
    loaded: LoadedManifests;
    files: Map<string, Uint8Array>;
    fileProblems: Problem[];
    ignored: IgnoredFile[];
    /** Files parsed now: none when the commit did not move, else those whose content changed. */
    filesParsed: number;
  } {
    let filesParsed = 0;
    if (this.parsed?.snapshot.commit.sha !== snapshot.commit.sha) {
      this.parsed = {
        snapshot,
        loaded: loadManifests(snapshot.files, this.validator, {
          defaultNamespace: this.config.namespace,
          cache: this.fileReadings,
        }),
        files: new Map(snapshot.files.map((f) => [f.path, f.bytes ?? Buffer.from(f.content)])),
      };
      filesParsed = this.fileReadings.parsed;
    }
    const { loaded, files } = this.parsed;
    const fileProblems = [...snapshot.problems, ...loaded.fileProblems];
    for (const problem of fileProblems) this.log.warn('file problem', { problem });
    const ignored = [...(snapshot.ignored ?? []), ...loaded.ignored];
    return { loaded, files, fileProblems, ignored, filesParsed };
  }

  /** Marks the stored status stale, with why and since when (written once per distinct error). */
  private async recordSourceError(error: Problem, entry: SyncHistoryEntry): Promise<void> {
    try {
      const state = await this.storedState();
      if (state.sourceError?.message === error.message) return;
      this.state = {
        ...this.withHistory(state, entry),
        sourceError: { message: error.message, since: new Date().toISOString() },
      };
      await this.store.save(this.state);
    } catch (failure) {
      this.log.warn('stale status not recorded', { error: String(failure) });
    }
  }

  private async storedState(): Promise<StoredState> {
    this.state ??= (await this.store.load()) ?? { manifests: [], appliedVersions: {}, namespaces: [] };
    return this.state;
  }

  /**
   * 3. Live: what we own, by label, in every namespace we have written to or will write to: from the watches
   * where they are synced, listed where not and on a full pass.
   */
  private async listLive(
    loaded: LoadedManifests,
    state: StoredState,
  ): Promise<{ objects: KubeObject[]; listed: number }> {
    const namespaces = new Set([this.config.namespace, ...state.namespaces]);
    for (const m of loaded.manifests) if (m.namespace) namespaces.add(m.namespace);
    const owned = await this.owned.list(namespaces, { fresh: this.fullPass });
    this.log.debug('owned objects', {
      objects: owned.objects.length,
      collections: owned.collections,
      listed: owned.listed,
    });
    return owned;
  }

  /**
   * 4. Render each valid manifest: observe (I/O), then a pure render, or last sync's render where none of its
   * inputs changed (render-cache.ts).
   */
  private async renderAll(
    loaded: LoadedManifests,
    live: KubeObject[],
    commit: CommitInfo,
    files: Map<string, Uint8Array>,
    gate: SecretGate,
    state: StoredState,
    options: SyncOptions,
  ): Promise<{ rendered: RenderedManifest[]; reused: number }> {
    this.pullBudgets = openPullBudgets(state.pullBudgets);
    try {
      const rendered = await renderManifests({
        previous: (key) => state.memory?.[key],
        manifests: loaded.manifests,
        live,
        commit,
        namespace: this.config.namespace,
        settings: this.config.settings,
        files,
        observeContext: this.observeContextFor(gate, options, files),
        cache: this.renderCache,
      });
      const reused = this.renderCache.hits;
      this.log.debug('rendered', { manifests: rendered.length, reused });
      return { rendered, reused };
    } finally {
      this.renderCache.settle();
    }
  }

  /** What observe (and finalize) may read, with the objects' prune guard for what kinds delete outside. */
  private observeContextFor(
    gate: SecretGate,
    options: SyncOptions,
    files?: ReadonlyMap<string, Uint8Array>,
  ): (namespace: string, live: KubeObject[]) => ObserveContext {
    const prune = {
      enabled: this.config.prune.enabled,
      maxShare: this.config.prune.maxShare,
      allowMassPrune: !!options.allowMassPrune || this.config.prune.allowMassPrune,
    };
    return (namespace, live) => ({
      ...clusterObserveContext(this.kube, this.config.settings, namespace, live, options.signal, gate),
      prune,
      pullBudgets: this.pullBudgets,
      ...(files ? { files } : {}),
    });
  }

  /**
   * 4b. What the repo may not do (guards.ts): name Secrets not meant for manifests, render an object another
   * manifest renders, take over an object this instance did not create. Each is the manifest's error.
   */
  private async guard(
    rendered: RenderedManifest[],
    live: KubeObject[],
    gate: SecretGate,
  ): Promise<RenderedManifest[]> {
    const located = locateProblems(rendered);
    const unique = refuseDuplicateObjects(located, this.config.namespace);
    const secretsChecked = await refuseForbiddenSecretRefs(unique, gate);
    const guarded = await refuseForeignObjects(
      secretsChecked,
      live,
      this.kube,
      this.config.settings.instance,
    );
    for (const r of guarded) {
      for (const problem of r.problems.filter((p) =>
        ['SECRET_REFUSED', 'DUPLICATE_OBJECT', 'OBJECT_CONFLICT'].includes(p.code),
      ))
        this.log.warn('manifest refused', { manifest: r.manifest.key, problem });
    }
    return guarded;
  }

  /**
   * 5. Plan: desired against live; failing manifests and broken files keep their objects. Then the changes
   * to objects we do not own (a workload rewrite) and the undo of those of manifests that left Git, unless
   * the prune was refused (the repo may be half-empty by mistake: nothing it did is undone).
   */
  private planChanges(
    rendered: RenderedManifest[],
    loaded: LoadedManifests,
    live: KubeObject[],
    fileProblems: Problem[],
    state: StoredState,
    leftBehind: Change[],
    options: SyncOptions,
  ): Plan {
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
      appliedVersions: {
        get: (uid) => (Object.hasOwn(state.appliedVersions, uid) ? state.appliedVersions[uid] : undefined),
      },
      maxPruneShare: this.config.prune.maxShare,
      allowPrune: options.allowMassPrune || this.config.prune.allowMassPrune,
      pruneEnabled: this.config.prune.enabled,
    });
    plan.changes.push(...foreignChanges(rendered), ...(plan.pruneRefused ? [] : leftBehind));
    if (plan.pruneRefused) {
      this.log.error(
        'PRUNE REFUSED: the repo would remove too much of what is owned; set ALLOW_MASS_PRUNE=true or `sync --allow-mass-prune` if intended',
        plan.pruneRefused,
      );
    }
    return plan;
  }

  /** 6. Apply and prune through the writer (the cluster's, or a dry-run's for `diff`), foreign changes last. */
  private async applyPlan(writer: Writer, plan: Plan, signal?: AbortSignal): Promise<Change[]> {
    const results = await executePlan(writer, plan, {
      concurrency: this.config.applyConcurrency,
      retry: { ...DEFAULT_RETRY, ...(signal ? { signal } : {}) },
    });
    for (const change of results) {
      if (change.action === 'unchanged') continue;
      this.log.debug(writer.dryRun ? 'change (dry-run)' : 'change', {
        manifest: change.manifestKey,
        object: objectRef(change.object),
        action: change.action,
        reason: change.reason,
        outcome: change.outcome?.result,
        ...(change.outcome?.message ? { message: change.outcome.message } : {}),
      });
    }
    return results;
  }

  /** Stores what this sync did; a status that cannot be saved is the sync's failure (returned, and logged). */
  private async saveState(
    results: Change[],
    statuses: ManifestStatus[],
    sha: string,
    fileProblems: Problem[],
    ignored: IgnoredFile[],
    entry: SyncHistoryEntry,
    memory: Record<string, unknown>,
    pullBudgets?: PullLedger,
  ): Promise<Problem | undefined> {
    const previous = this.state!;
    const next = nextStoredState({
      previous,
      results,
      statuses,
      sha,
      fileProblems,
      ignored,
      entry,
      memory,
      historyLimit: this.config.observability.historyLimit,
      ...(pullBudgets ? { pullBudgets } : {}),
    });
    // This sync's statuses, not the steady ones: only they tell whether something was applied.
    await emitStatusEvents(this.kube, this.store.objectRef, previous.manifests, statuses, this.log);
    try {
      this.onStatusChanges?.(previous.manifests, statuses);
    } catch (error) {
      this.log.warn('status change listener failed', { error: String(error) });
    }
    // Kept in memory even when the write fails: this process still knows what it applied.
    this.state = next;
    try {
      await this.store.save(next);
      return undefined;
    } catch (error) {
      const problem: Problem = {
        code: 'STATUS_NOT_SAVED',
        message: error instanceof Error ? error.message : String(error),
      };
      this.log.error('STATUS NOT SAVED: the sync fails; a restart would apply everything again', {
        error: problem.message,
      });
      return problem;
    }
  }
}

/** Between steps: a shutdown abandons the sync before its next write, never half-way through one. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  // The reason says which: the sync deadline (SYNC_DEADLINE_SECONDS) or a shutdown.
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the reconciler is shutting down';
  throw new Error(`sync abandoned: ${reason}`);
}

/** Seconds spent in each step, each measured from the end of the one before. */
function stepClock(): { done(step: SyncStep): void; seconds(): Partial<Record<SyncStep, number>> } {
  let last = performance.now();
  const seconds: Partial<Record<SyncStep, number>> = {};
  return {
    done(step) {
      const now = performance.now();
      seconds[step] = Number(((now - last) / 1000).toFixed(3));
      last = now;
    },
    seconds: () => ({ ...seconds }),
  };
}
