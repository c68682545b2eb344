// Child processes started by tests, remembered by PID so every suite can stop what it started and a root
// hook can assert that nothing is left running after the run.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

const tracked = new Set<ChildProcess>();

export interface StopOptions {
  /** How long to wait after SIGTERM before sending SIGKILL. */
  graceMs?: number;
}

/** Spawns a child process and registers it for teardown. */
export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  tracked.add(child);
  // A failed spawn (ENOENT) emits 'error'; without a listener it would crash the test run.
  child.once('error', () => tracked.delete(child));
  child.once('exit', () => tracked.delete(child));
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child) || child.pid === undefined) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL; resolves when the process has exited. */
export async function stopTracked(child: ChildProcess, opts: StopOptions = {}): Promise<void> {
  const graceMs = opts.graceMs ?? 3000;
  if (!hasExited(child) && child.pid !== undefined) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  }
  tracked.delete(child);
}

/** Stops every process still tracked. */
export async function stopAllTracked(opts: StopOptions = {}): Promise<void> {
  await Promise.all([...tracked].map((child) => stopTracked(child, opts)));
}

/** Whether a process with this PID exists (ours or not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PIDs of tracked children that the OS still reports alive. Pass PIDs (e.g. collected by a suite) to check
 * those instead of the whole tracked set; exited-but-unreaped children count as gone.
 */
export function liveTrackedPids(pids?: readonly number[]): number[] {
  const candidates =
    pids ?? [...tracked].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  return candidates.filter((pid) => {
    const child = [...tracked].find((c) => c.pid === pid);
    if (child && hasExited(child)) return false;
    return isAlive(pid);
  });
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Named in the timeout error, e.g. 'registry on 127.0.0.1:5000'. */
  what?: string;
}

/**
 * Polls `fn` until it returns a value other than undefined/false/null (returned), or throws after the
 * timeout with the last error seen.
 */
export async function waitFor<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${opts.what ?? 'condition'}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs a command to completion; rejects with its stderr when it exits non-zero. */
export function runCommand(
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions & { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const { input, timeoutMs = 120_000, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = spawnTracked(cmd, args, {
      ...spawnOpts,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim() || stdout.trim()}`),
        );
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * The argv that runs the CLI from source in a process of its own: node itself (not npx), so that signals
 * sent to the child reach the CLI rather than a wrapper.
 */
export function cliCommand(...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]];
}
