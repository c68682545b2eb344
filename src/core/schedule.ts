/**
 * A manifest's `schedule` (ImageSync's Recurrent copies, image-operator's `frequency`; ImageBuild's rebuilds):
 * an elapsed time or a cron expression, and the CronJob schedule it becomes. Pure.
 *
 * A frequency means what image-operator's loop means, "the last execution is older than the frequency":
 * `600s` is ten minutes, `90m`, `36h`, `2w`, `45d` and Go-style `1h30m` are all valid, in the one duration
 * grammar of src/core/duration.ts (the one SYNC_SCHEDULE takes). A CronJob can say only some of these at even
 * intervals: minutes that divide the hour, hours that divide the day, one day, one week. Those run as a
 * CronJob, which keeps copying while the reconciler is down. Every other frequency is timed by the reconciler
 * itself from the recorded last run (ImageSync's recurrence.ts): `*\/45 * * * *` would run at :00 and :45, 45 then 15
 * minutes apart. Below one minute a CronJob cannot go: such a frequency runs every minute, and the status
 * says so.
 *
 * Cron expressions are passed to the API server only when its own parser (`cronJobScheduleProblem`, robfig/cron's
 * ParseStandard) accepts them.
 */
import { cronJobScheduleProblem } from './cron.js';
import { formatDuration, parseDuration } from './duration.js';

/** image-operator's CRD default: `frequency: 5m`. */
export const DEFAULT_FREQUENCY = '5m';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `1h30m` → 5 400 000 ms; undefined for a text that is not a positive duration. */
export function parseFrequency(text: string): number | undefined {
  const ms = parseDuration(text);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/** A frequency written back for status messages (src/core/duration.ts's one formatter). */
export const formatFrequency = formatDuration;

/** The cron schedule that runs exactly every `ms`, when there is one. */
export function exactCronFor(ms: number): string | undefined {
  if (ms < MINUTE) return '* * * * *';
  if (ms % MINUTE !== 0) return undefined;
  const minutes = ms / MINUTE;
  if (minutes === 1) return '* * * * *';
  if (minutes < 60) return 60 % minutes === 0 ? `*/${minutes} * * * *` : undefined;
  if (ms % HOUR !== 0) return undefined;
  const hours = ms / HOUR;
  if (hours === 1) return '0 * * * *';
  if (hours < 24) return 24 % hours === 0 ? `0 */${hours} * * *` : undefined;
  if (hours === 24) return '0 0 * * *';
  if (hours === 24 * 7) return '0 0 * * 0';
  return undefined;
}

function isCronLike(text: string): boolean {
  return text.startsWith('@') || text.split(/\s+/).length === 5;
}

/** How a valid schedule recurs: on a CronJob's schedule, or every `ms` timed by the reconciler. */
export type Recurrence =
  | { kind: 'cron'; cron: string /** Set for a frequency: its length. */; everyMs?: number }
  | { kind: 'interval'; everyMs: number };

export function recurrenceOf(text: string): Recurrence | undefined {
  const trimmed = text.trim();
  const ms = parseFrequency(trimmed);
  if (ms !== undefined) {
    const cron = exactCronFor(ms);
    return cron ? { kind: 'cron', cron, everyMs: ms } : { kind: 'interval', everyMs: ms };
  }
  if (isCronLike(trimmed) && cronJobScheduleProblem(trimmed) === undefined)
    return { kind: 'cron', cron: trimmed.split(/\s+/).join(' ') };
  return undefined;
}

/** The CronJob schedule of a text, when a CronJob runs it exactly; undefined otherwise (or invalid). */
export function scheduleToCron(text: string): string | undefined {
  const recurrence = recurrenceOf(text);
  return recurrence?.kind === 'cron' ? recurrence.cron : undefined;
}

/** Why a text is not a schedule, or undefined when it is one. */
export function scheduleProblem(text: string): string | undefined {
  if (recurrenceOf(text)) return undefined;
  const trimmed = text.trim();
  // The wording of manifests/load.ts, which refuses the same schedules for every kind.
  if (isCronLike(trimmed))
    return `"${text}" is not a valid cron schedule: ${cronJobScheduleProblem(trimmed)}`;
  return `"${text}" is neither a frequency (600s, 90m, 1h30m, 36h, 45d, 2w) nor a five-field cron expression`;
}

/** A frequency below a CronJob's minute, said in status. */
export function roundedUpNote(recurrence: Recurrence): string | undefined {
  return recurrence.kind === 'cron' && recurrence.everyMs !== undefined && recurrence.everyMs < MINUTE
    ? `${formatFrequency(recurrence.everyMs)} is below a CronJob's one minute: copied every minute`
    : undefined;
}
