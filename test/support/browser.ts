// Debian's Chromium, headless, started by PID like every process of the bench (so the root hook sees it
// gone), with a fresh profile, and driven over the DevTools protocol by playwright-core.
import { type Browser, chromium } from 'playwright-core';
import { spawnTracked, stopTracked, waitFor } from './processes.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  pid: number;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<TestBrowser> {
  const profile = makeTempDir('chromium-profile');
  const child = spawnTracked(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  // Chromium's helpers (zygote, renderers) are its children in the process group it leads (detached: the
  // group's id is its PID); they must be gone before the profile they write to can be removed.
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // The group is already gone.
      }
    }
    await stopTracked(child, { graceMs: 5000 });
    await waitFor(
      () => {
        try {
          removeTempDir(profile);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 15_000, intervalMs: 200, what: "Chromium's helpers to leave its profile" },
    );
  };
  try {
    const endpoint = await waitFor(() => /DevTools listening on (ws:\/\/\S+)/.exec(stderr)?.[1], {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'Chromium to listen for DevTools',
    });
    const browser = await chromium.connectOverCDP(endpoint);
    return {
      browser,
      pid: child.pid!,
      close: async () => {
        await browser.close().catch(() => undefined);
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${stderr}`);
  }
}
