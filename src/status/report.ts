import type { CommitInfo } from '../core/commit.js';
import type { Problem } from '../core/errors.js';
import { assessHealth, worstHealth } from '../health/index.js';
import type { InvalidManifest } from '../manifests/types.js';
import type { Change } from '../plan/change.js';
import { sourceFileOf } from '../render/stamp.js';
import { withConditions } from './conditions.js';
import type {
  HealthState,
  ManifestResult,
  ManifestStatus,
  ObjectStatus,
  RenderedForStatus,
} from './types.js';

function objectStatus(change: Change): ObjectStatus {
  const { object, live, outcome } = change;
  const seen = outcome?.applied ?? live ?? (change.action === 'keep' ? object : undefined);
  const { health, message } =
    change.action === 'delete' ? { health: undefined, message: undefined } : assessHealth(seen);
  const text =
    outcome?.message ?? message ?? (change.action !== 'unchanged' ? change.reason.message : undefined);
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    name: object.metadata.name,
    action: change.action,
    reason: change.reason.code,
    outcome: outcome?.result ?? 'planned',
    ...(health ? { health } : {}),
    ...(text ? { message: text } : {}),
    ...(outcome?.failure ? { failure: outcome.failure } : {}),
  };
}

/** A failing manifest with nothing in the cluster has no health to speak of. */
function healthOf(objects: ObjectStatus[], failing: boolean): HealthState {
  if (failing && objects.length === 0) return 'Unknown';
  return worstHealth(objects.filter((o) => o.health).map((o) => o.health!));
}

/** Per-manifest status from what was rendered, what failed to load and what the apply did. Pure. */
export function buildManifestStatuses(input: {
  rendered: RenderedForStatus[];
  invalid: InvalidManifest[];
  /** The plan's changes with their outcomes. */
  results: Change[];
  commit: CommitInfo;
  dryRun: boolean;
  /** Problems of files: a manifest of a file that no longer parses is invalid, not gone. */
  fileProblems?: Problem[];
}): ManifestStatus[] {
  const byManifest = new Map<string, Change[]>();
  for (const result of input.results) {
    const list = byManifest.get(result.manifestKey);
    if (list) list.push(result);
    else byManifest.set(result.manifestKey, [result]);
  }
  const statuses: ManifestStatus[] = [];
  for (const r of input.rendered) {
    const objects = (byManifest.get(r.manifest.key) ?? []).map(objectStatus);
    byManifest.delete(r.manifest.key);
    const failed = objects.filter((o) => o.outcome === 'failed');
    const changed = objects.filter(
      (o) => o.outcome === 'applied' || o.outcome === 'pruned' || o.outcome === 'planned',
    );
    let result: ManifestResult;
    let message: string;
    if (r.problems.length > 0) {
      result = 'Failed';
      message = `${r.problems[0]!.message}; ${objects.length > 0 ? 'its objects are kept as last applied' : 'nothing applied'}`;
    } else if (failed.length > 0) {
      result = 'Failed';
      message = `${failed.length} of ${objects.length} objects failed: ${failed[0]!.message ?? ''}`;
    } else if (changed.length > 0) {
      result = input.dryRun ? 'Planned' : 'Applied';
      message = `${changed.length} object(s) ${input.dryRun ? 'would change' : 'changed'}, ${objects.length - changed.length} unchanged`;
    } else {
      result = 'Unchanged';
      message = `${objects.length} object(s) up to date`;
    }
    statuses.push({
      key: r.manifest.key,
      kind: r.manifest.kind,
      name: r.manifest.name,
      file: r.manifest.origin.file,
      line: r.manifest.origin.line,
      result,
      message,
      problems: r.problems,
      objects,
      commit: input.commit.sha,
      author: input.commit.author,
      health: healthOf(objects, r.problems.length > 0),
      ...(r.details ? { details: r.details } : {}),
    });
  }
  for (const invalid of input.invalid) {
    const key =
      invalid.key ?? `${invalid.origin.kind || 'Unknown'}/${invalid.origin.file}:${invalid.origin.line}`;
    const objects = (byManifest.get(key) ?? []).map(objectStatus);
    byManifest.delete(key);
    statuses.push({
      key,
      kind: invalid.kind ?? invalid.origin.kind,
      name: invalid.name ?? '',
      file: invalid.origin.file,
      line: invalid.origin.line,
      result: 'Invalid',
      message: `${invalid.problems.length} problem(s); ${objects.length > 0 ? `${objects.length} object(s) kept as last applied` : 'nothing applied'}`,
      problems: invalid.problems,
      objects,
      commit: input.commit.sha,
      author: input.commit.author,
      health: healthOf(objects, true),
    });
  }
  // Objects of manifests that left Git (pruned, or kept by a refused prune) are reported under their old key.
  for (const [key, results] of byManifest) {
    const objects = results.map(objectStatus);
    // ... unless their file is still there but does not parse: the manifest may well be in it, unreadable.
    const file = results.map((r) => sourceFileOf(r.object)).find(Boolean) ?? '';
    const broken = (input.fileProblems ?? []).filter((p) => file && p.location?.file === file);
    if (broken.length > 0 && results.every((r) => r.action === 'keep')) {
      statuses.push({
        key,
        kind: key.split('/')[0] ?? '',
        name: key.split('/').pop() ?? '',
        file,
        result: 'Invalid',
        message: `its file ${file} does not parse; ${objects.length} object(s) kept as last applied`,
        problems: broken,
        objects,
        commit: input.commit.sha,
        author: input.commit.author,
        health: healthOf(objects, true),
      });
      continue;
    }
    const kept = objects.some((o) => o.outcome === 'kept');
    const adoptedOnly = results.every((r) => r.action === 'keep' && r.reason.code === 'Adopted');
    statuses.push({
      key,
      kind: key.split('/')[0] ?? '',
      name: key.split('/').pop() ?? '',
      file: '',
      result: objects.some((o) => o.outcome === 'failed') ? 'Failed' : input.dryRun ? 'Planned' : 'Applied',
      message: adoptedOnly
        ? 'manifest left Git; the objects it adopted are left in place (image-gitops deletes only what it created)'
        : kept
          ? 'manifest left Git; prune refused, objects kept'
          : 'manifest left Git; objects pruned',
      problems: [],
      objects,
      commit: input.commit.sha,
      author: input.commit.author,
      health: 'Unknown',
    });
  }
  return statuses.map(withConditions).sort((a, b) => a.key.localeCompare(b.key));
}
