/**
 * ImageBuild's observe step (I/O): read the credentials Secrets of the push registry and of the registries
 * listed in the spec (base images), merged into one authfile that render ships as a Secret.
 */

import type { BudgetReport } from '../../jobs/copy-budget.js';
import type { RunPulls } from '../../jobs/cron-runs.js';
import type { Manifest } from '../../manifests/types.js';
import {
  type AuthFile,
  buildAuthFile,
  type CredentialsByHost,
  readCredentialSecret,
} from '../../registry/credentials.js';
import { ecrRegistryCredential } from '../../registry/ecr.js';
import { normaliseRegistryHost, parseImageReference } from '../../registry/references.js';
import type { ObserveContext } from '../types.js';
import { observeBuildBudget } from './pull-budget.js';
import { resolveBuildRegistry } from './registries.js';
import { type BuildSummary, summarizeBuildJob } from './summarize.js';
import type { ImageBuildSpec } from './types.js';

export interface ImageBuildObserved {
  /** Absent when no registry has credentials. */
  authFile?: AuthFile;
  /** The builds this manifest has in the cluster: outcome, duration, pushed digest. */
  builds?: BuildSummary[];
  /** One line for the manifest's status. */
  message?: string;
  /** A new build Job's base pulls under budgets, for its annotation (pull-budget.ts). */
  basePulls?: RunPulls[];
  /** The pull budgets its base images meet: what is left, and until when a new build waits. */
  budget?: BudgetReport[];
  /** 1 while a new build waits for its pull budgets (render leaves its Job out). */
  budgetDeferred?: number;
}

/** Outcome, duration and pushed digest of the live build Jobs, read from their pods' termination messages. */
async function observeBuilds(context: ObserveContext, namespace: string): Promise<BuildSummary[]> {
  const jobs = context.live.filter((o) => o.kind === 'Job');
  return Promise.all(
    jobs.map(async (job) => {
      const pods = await context.listObjects(
        { apiVersion: 'v1', kind: 'Pod' },
        job.metadata.namespace ?? namespace,
        `batch.kubernetes.io/job-name=${job.metadata.name}`,
      );
      return summarizeBuildJob(job, pods);
    }),
  );
}

function describeBuilds(builds: BuildSummary[]): string | undefined {
  if (builds.length === 0) return undefined;
  return builds
    .map((b) => {
      const parts = [`build ${b.job}: ${b.phase}`];
      if (b.durationSeconds !== undefined) parts.push(`in ${b.durationSeconds}s`);
      if (b.digest) parts.push(`pushed ${b.image ?? ''}@${b.digest}`);
      if (b.message) parts.push(b.message);
      return parts.join(', ');
    })
    .join('; ');
}

/** The push host first, then the listed registries, each once. */
export function registryHosts(spec: ImageBuildSpec): string[] {
  const push = parseImageReference(spec.image).registry;
  return [...new Set([push, ...(spec.registries ?? []).map((r) => r.host)])];
}

export async function observeImageBuild(
  manifest: Manifest<ImageBuildSpec>,
  context: ObserveContext,
): Promise<ImageBuildObserved> {
  const namespace = manifest.namespace ?? context.namespace;
  const credentials: CredentialsByHost = new Map();
  for (const host of registryHosts(manifest.spec)) {
    const registry = resolveBuildRegistry(host, manifest.spec, context.settings, namespace);
    if (registry.awsEcr) {
      credentials.set(
        registry.host,
        await ecrRegistryCredential(registry.host, context.awsEcr, context.signal),
      );
      continue;
    }
    if (!registry.credentialsSecret) continue;
    credentials.set(
      registry.host,
      await readCredentialSecret(registry.credentialsSecret, registry.host, context.readSecret),
    );
  }
  const builds = await observeBuilds(context, namespace);
  const authFile = credentials.size > 0 ? buildAuthFile(credentials) : undefined;
  const usernames = new Map([...credentials].map(([host, c]) => [normaliseRegistryHost(host), c.username]));
  const budgeted = observeBuildBudget(manifest, context, namespace, usernames, authFile);
  const message = [describeBuilds(builds), budgeted?.message].filter(Boolean).join('; ');
  return {
    ...(authFile ? { authFile } : {}),
    ...(builds.length > 0 ? { builds } : {}),
    ...(message ? { message } : {}),
    ...(budgeted?.basePulls ? { basePulls: budgeted.basePulls } : {}),
    ...(budgeted?.budget ? { budget: budgeted.budget } : {}),
    ...(budgeted?.budgetDeferred ? { budgetDeferred: budgeted.budgetDeferred } : {}),
  };
}
