/**
 * A Recurrent sync's schedule as a CronJob schedule: image-operator's frequencies (`30s`, `15m`, `2h`, `1d`,
 * `1w`) or a five-field cron expression as is. Cron cannot go below a minute: seconds round up to a minute.
 */
const FREQUENCY = /^(\d+)(s|m|h|d|w)$/;
const CRON_FIELD = /^[\d*/,\-A-Za-z?LW#]+$/;

export function isCronExpression(text: string): boolean {
  const fields = text.trim().split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
}

/** The cron schedule for a frequency or cron text; undefined when it is neither. */
export function scheduleToCron(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('@'))
    return /^@(hourly|daily|weekly|monthly|yearly|annually)$/.test(trimmed) ? trimmed : undefined;
  const match = FREQUENCY.exec(trimmed);
  if (!match) return isCronExpression(trimmed) ? trimmed.split(/\s+/).join(' ') : undefined;
  const n = Number(match[1]);
  if (n <= 0) return undefined;
  switch (match[2]) {
    case 's':
      return '* * * * *';
    case 'm':
      if (n === 1) return '* * * * *';
      if (n < 60) return `*/${n} * * * *`;
      return n % 60 === 0 ? scheduleToCron(`${n / 60}h`) : undefined;
    case 'h':
      if (n === 1) return '0 * * * *';
      if (n < 24) return `0 */${n} * * *`;
      return n % 24 === 0 ? scheduleToCron(`${n / 24}d`) : undefined;
    case 'd':
      if (n === 1) return '0 0 * * *';
      if (n === 7) return '0 0 * * 0';
      return n < 32 ? `0 0 */${n} * *` : undefined;
    default:
      return n === 1 ? '0 0 * * 0' : undefined;
  }
}
