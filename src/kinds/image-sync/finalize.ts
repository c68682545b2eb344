/**
 * ImageSync's finalize (KindDefinition.finalize): a manifest with `prune.enabled` that left Git has the tags it
 * pushed deleted from its destination, as if none were selected any more, from its memory alone (leaving.ts):
 * the same plan (`prune.retain`, the per-manifest share guard: deletions.ts), the same confirmation with the
 * registry (confirm-deletions.ts) and the same delete Job with its files Secret (destination access only).
 * Done once no tag is left to delete (retained ones stay): the memory and the objects go. A try that cannot
 * go on (a credentials Secret gone, a registry down) fails the removed manifest's status and is tried again,
 * up to the bounds of leaving.ts; then it gives up, saying so.
 */
import { problemFromError } from '../../core/errors.js';
import type { KubeObject } from '../../core/kube-object.js';
import { type CopyJobSetup, hasCopyFiles, renderCopyFilesSecret } from '../../jobs/copy-jobs.js';
import { renderDeleteJob } from '../../jobs/delete-jobs.js';
import { describeJobFailures, observeJobFailures } from '../../jobs/job-failures.js';
import { RegistryClient } from '../../registry/client.js';
import { defaultAwsEcrAccess } from '../../registry/ecr.js';
import { observeAccessForHosts } from '../../registry/registry-access.js';
import type { Finalizing, LeftManifest, ObserveContext } from '../types.js';
import { confirmDeletions } from './confirm-deletions.js';
import { plannedDeletions } from './deletion-job.js';
import { countDeletions, DEFAULT_PRUNE_POLICY, planTagDeletions, type TagDeletion } from './deletions.js';
import {
  givesUp,
  LEAVE_GIVE_UP_MS,
  LEAVE_MIN_ATTEMPTS,
  type LeavingState,
  leftMemory,
  nextClock,
  readLeaving,
  splitRepository,
  standIn,
} from './leaving.js';
import { updatePushed } from './pushed.js';
import { filesSecretName } from './render.js';

/** States that leave a tag still to delete (the others are settled: gone, retained, or not ours to delete). */
const UNSETTLED = new Set<TagDeletion['state']>(['delete', 'held', 'refused']);

export async function finalizeImageSync(
  left: LeftManifest,
  context: ObserveContext,
  now = new Date(),
): Promise<Finalizing | undefined> {
  const state = readLeaving(left.memory);
  if (!state) return undefined;
  return finalizeLeaving(left.key, state, context, now);
}

/** One sync's step for a removed manifest whose memory was read as `state`. */
async function finalizeLeaving(
  key: string,
  state: LeavingState,
  context: ObserveContext,
  now: Date,
): Promise<Finalizing> {
  const { leave, record } = state;
  const manifest = standIn(key, leave);
  const clock = nextClock(state.clock, now);
  const where = `the ${record.tags.size} tag(s) it pushed to ${leave.repository}`;
  if (givesUp(clock, now)) {
    const message =
      `manifest left Git; gave up deleting ${where} after ${clock.attempts - 1} tries since ${clock.since} ` +
      `(at least ${LEAVE_MIN_ATTEMPTS} tries over ${LEAVE_GIVE_UP_MS / 3600_000} h): they stay at the destination; ` +
      'the manifest is forgotten and its objects pruned';
    return {
      manifest,
      objects: [],
      observed: { message },
      problems: [{ code: 'OBSERVE_FAILED', message, retryable: false }],
    };
  }
  const namespace = leave.namespace ?? context.namespace;
  const destination = splitRepository(leave.repository);
  try {
    const { access, files } = await observeAccessForHosts(
      [destination.registry],
      { registries: leave.registry ? [leave.registry] : [] },
      context,
      namespace,
    );
    const client = new RegistryClient({
      access: (host) => access.get(host),
      ...(context.signal ? { signal: context.signal } : {}),
      ...(context.registry ? { policy: context.registry } : {}),
      tagPaging: (context.awsEcr ?? defaultAwsEcrAccess()).tagPaging,
    });
    const prune = { enabled: true, ...(leave.retain !== undefined ? { retain: leave.retain } : {}) };
    const plan = planTagDeletions({
      record,
      selected: new Set(),
      spec: { prune },
      policy: context.prune ?? DEFAULT_PRUNE_POLICY,
    });
    const deletions = await confirmDeletions({
      client,
      destination,
      record,
      deletions: plan.deletions,
      known: new Map(),
    });
    const failures = await observeJobFailures(context.live, context, namespace);
    const done = !deletions.some((d) => UNSETTLED.has(d.state));
    const message =
      `manifest left Git; ${where}: ${countDeletions(deletions)}` +
      describeJobFailures(failures, 'delete Job') +
      (done ? '; done: forgotten, its objects pruned' : '');
    const observed = { message, deletions };
    const imagePlan = { summary: message, deletions: plannedDeletions(destination, deletions) };
    if (done) return { manifest, objects: [], observed, imagePlan };
    const forgotten = deletions.filter((d) => !UNSETTLED.has(d.state) && d.state !== 'retained');
    const setup: CopyJobSetup = {
      namespace,
      jobPrefix: `${leave.name}-sync`,
      filesSecretName: filesSecretName(manifest),
      files,
      registries: { registries: leave.registry ? [leave.registry] : [] },
      pairFor: () => {
        throw new Error('a removed manifest copies nothing');
      },
    };
    const deleting = deletions.flatMap((d) =>
      d.state === 'delete' && d.digest ? [{ tag: d.tag, digest: d.digest }] : [],
    );
    const objects: KubeObject[] = [
      ...(hasCopyFiles(files) ? [renderCopyFilesSecret(setup)] : []),
      ...(deleting.length > 0
        ? [renderDeleteJob(setup, context.settings, `${leave.name}-delete`, destination, deleting)]
        : []),
    ];
    const memory = leftMemory(
      leave,
      updatePushed(
        record,
        [],
        forgotten.map((d) => d.tag),
      ),
      clock,
    );
    return { manifest, objects, memory, observed, imagePlan };
  } catch (error) {
    const problem = problemFromError(error, 'OBSERVE_FAILED');
    const message =
      `manifest left Git; ${where} are not deleted yet: ${problem.message} ` +
      `(try ${clock.attempts} since ${clock.since}; given up after ${LEAVE_GIVE_UP_MS / 3600_000} h and ${LEAVE_MIN_ATTEMPTS} tries)`;
    return {
      manifest,
      objects: [],
      memory: leftMemory(leave, record, clock),
      observed: { message },
      problems: [{ ...problem, message }],
    };
  }
}
