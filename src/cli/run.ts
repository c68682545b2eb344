/** `run`: the long-running reconciler (scheduler, webhook, leader election, HTTP), wired in src/run/daemon.ts. */
export { runDaemon } from '../run/daemon.js';
