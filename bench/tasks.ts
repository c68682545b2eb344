// What the benchmark asks of a worker process, and what it answers.
import type { ImageSyncSpec } from '../src/kinds/image-sync/spec.js';
import type { Manifest } from '../src/manifests/types.js';
import type { Measurement } from './measure.js';

/** The engine's user agent in the benchmark, to find its requests in the API server's audit log. */
export const BENCH_USER_AGENT = 'image-gitops-bench';

export type WorkerTask =
  | { task: 'render'; size: number }
  | { task: 'source'; url: string; cacheDir: string }
  /** With `change`, after the no-op syncs the worker asks for a commit changing one manifest, then syncs it. */
  | { task: 'engine'; env: Record<string, string>; change?: boolean }
  | ImageSyncTask;

/** One ImageSync round as the engine runs it: observe (registry HTTP) then render; objects go to `outFile`. */
export interface ImageSyncTask {
  task: 'image-sync';
  manifest: Manifest<ImageSyncSpec>;
  namespace: string;
  bounds: { maxJobsPerManifest: number; tagsPerJob: number };
  /** JSON file of the live objects (the Jobs of earlier rounds), when any. */
  liveFile?: string;
  /** Where the worker writes the rendered objects (JSON array). */
  outFile: string;
}

export interface StepResult {
  step: string;
  measurement: Measurement;
  /** Wall-clock window of the step (epoch ms), to find its requests in the audit log. */
  window: { from: number; to: number };
  details: Record<string, unknown>;
}

export interface WorkerResult {
  /** From process start to the first step: node, tsx and the engine's modules loading. */
  startupMs: number;
  steps: StepResult[];
}
