// Timing and peak memory, measured the same way on both sides: wall time around the work, and the kernel's
// peak resident set (VmHWM) of the process doing it — our own process (reset before each step) or a child.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  ms: number;
  /** Peak resident set of the process while the step ran (it includes the process's baseline). */
  peakRssBytes: number;
  /** Resident set when the step started: the process's baseline (runtime, loaded code, earlier data). */
  rssBeforeBytes?: number;
  /** V8 heap when the step started (after a full GC when --expose-gc). */
  heapBeforeBytes?: number;
  /** Highest V8 heap seen by a 5 ms sampler (synchronous stretches can hide a short peak). */
  heapPeakSampledBytes?: number;
  /** V8 heap after the step and a full GC: what the step's result keeps alive. */
  heapRetainedBytes?: number;
}

const MB = 1024 * 1024;

function statusField(pid: number | 'self', field: string): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'),
    );
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined; // the process is gone
  }
}

/** Sets VmHWM back to the current RSS (Linux `clear_refs` 5), so the next reading is this step's peak. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Measures `work` in this process; run node with --expose-gc for the retained-heap figure. */
export async function measureHere<T>(
  work: () => T | Promise<T>,
): Promise<{ value: T; measurement: Measurement }> {
  collectGarbage();
  const resettable = resetPeakRss();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  let heapPeak = heapBefore;
  let rssPeakSampled = rssBefore;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    heapPeak = Math.max(heapPeak, usage.heapUsed);
    rssPeakSampled = Math.max(rssPeakSampled, usage.rss);
  }, 5);
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  clearInterval(sampler);
  const after = process.memoryUsage();
  heapPeak = Math.max(heapPeak, after.heapUsed);
  const hwm = resettable ? statusField('self', 'VmHWM') : undefined;
  collectGarbage();
  return {
    value,
    measurement: {
      ms,
      peakRssBytes: hwm ?? Math.max(rssPeakSampled, after.rss),
      rssBeforeBytes: rssBefore,
      heapBeforeBytes: heapBefore,
      heapPeakSampledBytes: heapPeak,
      heapRetainedBytes: process.memoryUsage().heapUsed,
    },
  };
}

export interface ChildRun {
  measurement: Measurement;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a command to completion and measures its wall time and peak RSS: GNU time's %M when installed,
 * otherwise VmHWM polled from /proc while it runs (a lower bound for very short peaks).
 */
export function measureChild(
  cmd: string,
  args: readonly string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /**
     * Called with each line the command prints; `reply` writes a line to its stdin (open only when this is
     * given). The benchmark's worker asks its parent this way to change the repo between two steps.
     */
    onLine?: (line: string, reply: (text: string) => void) => void;
  } = {},
): Promise<ChildRun> {
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(
    tmpdir(),
    `bench-time-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // Its own process group, so that a timeout stops the command and not only GNU time.
    const child = spawn(file, argv, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    // Open only for a command that is answered (onLine); for the others, empty.
    if (!opts.onLine) child.stdin.end();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let partial = '';
    const reply = (text: string) => child.stdin.write(`${text}\n`);
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      if (!opts.onLine) return;
      const lines = (partial + c.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) opts.onLine(line, reply);
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let polledPeak = 0;
    const poller = useTime
      ? undefined
      : setInterval(() => {
          polledPeak = Math.max(polledPeak, (child.pid && statusField(child.pid, 'VmHWM')) || 0);
        }, 10);
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? 600_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      clearInterval(poller);
      reject(error);
    });
    child.once('close', (code, signal) => {
      const ms = performance.now() - started;
      child.stdin.destroy();
      clearTimeout(timer);
      clearInterval(poller);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      let peak = polledPeak;
      if (useTime) {
        const text = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
        rmSync(timeFile, { force: true });
        const kb = Number(text.trim().split('\n').pop());
        if (Number.isFinite(kb)) peak = kb * 1024;
      }
      if (code !== 0) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      resolve({ measurement: { ms, peakRssBytes: peak }, stdout, stderr });
    });
  });
}

export function formatMs(ms: number): string {
  return ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(0)} ms`;
}

export function formatMb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / MB).toFixed(0)} MB`;
}
