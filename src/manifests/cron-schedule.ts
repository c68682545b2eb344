/** Moved to src/core/cron.ts; this name stays for the callers not yet moved (src/manifests/load.ts). */
export { cronJobScheduleProblem as cronScheduleProblem } from '../core/cron.js';
