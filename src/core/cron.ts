import cron from 'node-cron';

/**
 * Cron expressions, judged by what will run them. Two runners, two judges:
 * - A CronJob's `spec.schedule` (ImageSync and ImageBuild schedules) is parsed by the API server with
 *   robfig/cron v3 `ParseStandard`, which also refuses any `TZ` in it. `cronJobScheduleProblem` is that
 *   parser, field by field, so that `validate` refuses exactly what a sync would have refused at apply time.
 *   No npm cron library agrees with it: node-cron, cron-parser and croner all accept `0 0 * * 7`, `L` and six
 *   fields, which the API server refuses, and refuse `0 0 31 2 *`, `5/15 * * * *` or `@every 1h30m`, which it
 *   accepts. test/integration/engine/cron-schedules.test.ts compares this check with the real API server.
 * - The reconciler's own `SYNC_SCHEDULE` is timed by node-cron 4 (optional seconds field), so node-cron's
 *   validator judges it: `nodeCronProblem`.
 */

interface FieldBounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: FieldBounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);
/** Go's time.ParseDuration syntax, for `@every <duration>`. */
const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;

/** Go's strconv.Atoi on a field value, then robfig's refusal of negatives. */
function integer(text: string, field: FieldBounds): number | string {
  if (!/^[+-]?\d+$/.test(text)) return `failed to parse int from ${text} (${field.name})`;
  const value = Number(text);
  if (value < 0) return `negative number (${value}) not allowed (${field.name})`;
  return value;
}

/** robfig's parseIntOrName: a month or day name (own keys only: `constructor` is no month), else a number. */
function intOrName(text: string, field: FieldBounds): number | string {
  const name = text.toLowerCase();
  return field.names && Object.hasOwn(field.names, name) ? field.names[name]! : integer(text, field);
}

/** One comma-separated part of a field: `*`, `?`, `n`, `n-m`, each optionally `/step`. */
function rangeProblem(expr: string, field: FieldBounds): string | undefined {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = field.min;
    end = field.max;
  } else {
    const low = intOrName(lowAndHigh[0]!, field);
    if (typeof low === 'string') return low;
    start = low;
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) {
      const high = intOrName(lowAndHigh[1]!, field);
      if (typeof high === 'string') return high;
      end = high;
    } else return `too many hyphens: ${expr} (${field.name})`;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const parsed = integer(rangeAndStep[1]!, field);
    if (typeof parsed === 'string') return parsed;
    step = parsed;
    if (singleDigit) end = field.max; // "N/step" means "N-max/step"
  } else if (rangeAndStep.length > 2) return `too many slashes: ${expr} (${field.name})`;
  if (start < field.min)
    return `beginning of range (${start}) below minimum (${field.min}): ${expr} (${field.name})`;
  if (end > field.max) return `end of range (${end}) above maximum (${field.max}): ${expr} (${field.name})`;
  if (start > end)
    return `beginning of range (${start}) beyond end of range (${end}): ${expr} (${field.name})`;
  if (step === 0) return `step of range should be a positive number: ${expr} (${field.name})`;
  return undefined;
}

/** Why the API server would refuse this CronJob schedule, or undefined when it accepts it. */
export function cronJobScheduleProblem(schedule: string): string | undefined {
  if (schedule.includes('TZ')) return 'a time zone (TZ or CRON_TZ) cannot be given in the schedule';
  const text = schedule.trim();
  if (text === '') return 'empty schedule';
  if (text.startsWith('@')) {
    if (DESCRIPTORS.has(text)) return undefined;
    if (text.startsWith('@every ')) {
      return GO_DURATION.test(text.slice('@every '.length)) ? undefined : `failed to parse duration ${text}`;
    }
    return `unrecognized descriptor: ${text}`;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${text}`;
  for (let i = 0; i < 5; i++) {
    // robfig splits a field with strings.FieldsFunc: empty parts (`1,,2`) are dropped, not refused.
    for (const part of fields[i]!.split(',').filter(Boolean)) {
      const problem = rangeProblem(part, FIELDS[i]!);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** Why node-cron (the reconciler's own scheduler) would refuse this expression, or undefined. */
export function nodeCronProblem(expression: string): string | undefined {
  const check = cron.validateDetailed(expression.trim());
  return check.valid ? undefined : check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}
