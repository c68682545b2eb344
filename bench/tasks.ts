// What the benchmark asks of a worker process, and what it answers.
import type { Measurement } from './measure.js';

/** The engine's user agent in the benchmark, to find its requests in the API server's audit log. */
export const BENCH_USER_AGENT = 'image-gitops-bench';

export type WorkerTask =
  | { task: 'render'; size: number }
  | { task: 'source'; url: string; cacheDir: string }
  | { task: 'engine'; env: Record<string, string> };

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
