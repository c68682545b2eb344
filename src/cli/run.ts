import type { ReconcilerConfig } from '../config/reconciler-config.js';

/** `run`: the long-running reconciler. Wired in src/run/daemon.ts. */
export async function runDaemon(_config: ReconcilerConfig): Promise<number> {
  throw new Error('run: not wired yet');
}
