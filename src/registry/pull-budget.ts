/**
 * Pull budgets per registry and credential (`budget: {pulls, per}` on a `registries` entry or in
 * SYNC_REGISTRIES): one ledger for the whole reconciler, stored with the status, counting what registries
 * count: manifest GETs (Docker Hub meters those, not HEADs or blobs). A copy Job is charged the GETs its
 * skopeo copies make when it is created; each charge frees up `per` later (a sliding window: no `per`
 * ever holds more than `pulls` charged, whatever the registry's window starts from). What the registry
 * says wins when it says less: `RateLimit-Remaining: 76;w=21600` caps what is left until its window ends,
 * and a 429 spends the budget until its Retry-After, else for `per`. The arithmetic is pure; PullBudgetBook
 * holds one sync's view (with the reservations of the manifests planned so far).
 */

/** A declared budget: at most `pulls` manifest GETs in any `perMs`. */
export interface PullBudget {
  pulls: number;
  perMs: number;
  /** Platforms assumed in an index copied whole (`--all`): such a copy costs 1 + this many GETs. */
  platformsPerIndex: number;
}

/** What the ledger keeps of one registry and credential. Times are epoch seconds. */
export interface LedgerEntry {
  /** `[until, pulls]`: pulls charged, counted until `until`. */
  charges: Array<[number, number]>;
  /** The registry's last `RateLimit-Remaining`, valid until its window ends, and what was charged since. */
  registry?: { remaining: number; until: number; charged: number };
  /** A 429: nothing until then. */
  blockedUntil?: number;
  /** The window of the last declaration, for charges made before any manifest declares it again. */
  perSeconds?: number;
}

/** The whole ledger, by budget key (`budgetKey`). Compact and bounded: see pruneLedger. */
export type PullLedger = Record<string, LedgerEntry>;

/** At most this many charges per key (the oldest merged into the next, later one: never freed earlier). */
export const LEDGER_CHARGES_MAX = 64;
/** At most this many keys (those with the latest activity kept). */
export const LEDGER_KEYS_MAX = 100;

/**
 * The key of a budget: the registry host and who pulls, never the secret. A user name is shown as it is;
 * anonymous pulls (no credential) are their own budget.
 */
export function budgetKey(host: string, username: string | undefined): string {
  return username ? `${host} as ${username}` : `${host} anonymous`;
}

/** `76;w=21600` → { remaining: 76, windowSeconds: 21600 }; undefined when it is no count. */
export function parseRateLimitRemaining(
  header: string | undefined,
): { remaining: number; windowSeconds?: number } | undefined {
  const match = /^\s*(\d+)\s*(?:;(.*))?$/.exec(header ?? '');
  if (!match) return undefined;
  const window = /(?:^|;)\s*w\s*=\s*(\d+)\s*(?:;|$)/.exec(match[2] ?? '');
  return {
    remaining: Number(match[1]),
    ...(window ? { windowSeconds: Number(window[1]) } : {}),
  };
}

const sum = (charges: ReadonlyArray<readonly [number, number]>, now: number) =>
  charges.reduce((total, [until, pulls]) => (until > now ? total + pulls : total), 0);

/** Pulls left now under `budget` (never below 0). */
export function remainingPulls(entry: LedgerEntry | undefined, budget: PullBudget, now: number): number {
  if (!entry) return budget.pulls;
  if ((entry.blockedUntil ?? 0) > now) return 0;
  let left = budget.pulls - sum(entry.charges, now);
  if (entry.registry && entry.registry.until > now)
    left = Math.min(left, entry.registry.remaining - entry.registry.charged);
  return Math.max(0, left);
}

/**
 * When at least `needed` pulls are left (epoch seconds), assuming nothing more is charged; undefined when
 * never (more than the whole budget).
 */
export function nextPullsAt(
  entry: LedgerEntry | undefined,
  budget: PullBudget,
  needed: number,
  now: number,
): number | undefined {
  if (needed > budget.pulls) return undefined;
  if (remainingPulls(entry, budget, now) >= needed) return now;
  const times = new Set<number>();
  for (const [until] of entry?.charges ?? []) if (until > now) times.add(until);
  if (entry?.registry && entry.registry.until > now) times.add(entry.registry.until);
  if (entry?.blockedUntil && entry.blockedUntil > now) times.add(entry.blockedUntil);
  for (const t of [...times].sort((a, b) => a - b)) if (remainingPulls(entry, budget, t) >= needed) return t;
  return undefined;
}

/** The entry with `pulls` charged now, counted for `perSeconds`. */
export function chargePulls(
  entry: LedgerEntry | undefined,
  pulls: number,
  now: number,
  perSeconds: number,
): LedgerEntry {
  const charges = [
    ...(entry?.charges ?? []).filter(([until]) => until > now),
    [now + perSeconds, pulls],
  ] as Array<[number, number]>;
  charges.sort((a, b) => a[0] - b[0]);
  while (charges.length > LEDGER_CHARGES_MAX) {
    // The two oldest become one, freed at the later time: conservative.
    const [first, second] = charges.splice(0, 2) as [[number, number], [number, number]];
    charges.unshift([second[0], first[1] + second[1]]);
  }
  return {
    ...entry,
    charges,
    ...(entry?.registry ? { registry: { ...entry.registry, charged: entry.registry.charged + pulls } } : {}),
    perSeconds,
  };
}

/** A registry's answer (any status) on this budget's registry and credential: its rate-limit headers, a 429. */
export function recordAnswer(
  entry: LedgerEntry | undefined,
  answer: { status: number; headers: Record<string, string | string[] | undefined> },
  now: number,
  perSeconds: number,
): LedgerEntry | undefined {
  const header = (name: string) => {
    const value = answer.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  let next = entry;
  const reported = parseRateLimitRemaining(header('ratelimit-remaining'));
  const stored = next?.registry && next.registry.until > now ? next.registry : undefined;
  // The same count as recorded is no news: kept as it is (a steady state writes nothing).
  if (reported && reported.remaining !== (stored ? stored.remaining - stored.charged : undefined)) {
    next = {
      charges: [],
      ...next,
      registry: {
        remaining: reported.remaining,
        until: now + (reported.windowSeconds ?? perSeconds),
        charged: 0,
      },
    };
  }
  if (answer.status === 429) {
    const retry = header('retry-after');
    const seconds = retry && /^\d+$/.test(retry.trim()) ? Number(retry.trim()) : perSeconds;
    next = { charges: [], ...next, blockedUntil: Math.max(next?.blockedUntil ?? 0, now + seconds) };
  }
  return next;
}

/** The ledger without what no longer counts, at most LEDGER_KEYS_MAX keys: what is stored. */
export function pruneLedger(ledger: PullLedger, now: number): PullLedger {
  const kept: Array<[string, LedgerEntry, number]> = [];
  for (const [key, entry] of Object.entries(ledger)) {
    const charges = entry.charges.filter(([until]) => until > now);
    const registry = entry.registry && entry.registry.until > now ? entry.registry : undefined;
    const blocked = entry.blockedUntil && entry.blockedUntil > now ? entry.blockedUntil : undefined;
    if (charges.length === 0 && !registry && !blocked) continue;
    const last = Math.max(0, ...charges.map(([u]) => u), registry?.until ?? 0, blocked ?? 0);
    kept.push([
      key,
      {
        charges,
        ...(registry ? { registry } : {}),
        ...(blocked ? { blockedUntil: blocked } : {}),
        ...(entry.perSeconds ? { perSeconds: entry.perSeconds } : {}),
      },
      last,
    ]);
  }
  kept.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
  return Object.fromEntries(
    kept
      .slice(0, LEDGER_KEYS_MAX)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([key, entry]) => [key, entry]),
  );
}

/** Checks stored data before trusting it: anything else is an empty ledger. */
export function readLedger(stored: unknown): PullLedger {
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return {};
  const ledger: PullLedger = {};
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  for (const [key, value] of Object.entries(stored as Record<string, unknown>)) {
    const e = value as Partial<LedgerEntry> | null;
    if (!e || !Array.isArray(e.charges)) continue;
    const charges = e.charges.filter(
      (c): c is [number, number] => Array.isArray(c) && c.length === 2 && num(c[0]) && num(c[1]),
    );
    const r = e.registry;
    const registry = r && num(r.remaining) && num(r.until) && num(r.charged) ? r : undefined;
    ledger[key] = {
      charges,
      ...(registry ? { registry } : {}),
      ...(num(e.blockedUntil) ? { blockedUntil: e.blockedUntil! } : {}),
      ...(num(e.perSeconds) ? { perSeconds: e.perSeconds! } : {}),
    };
  }
  return ledger;
}

/**
 * One sync's ledger: what was stored, the registries' answers seen this sync, and the pulls the manifests
 * observed so far reserved (so that two manifests on one budget do not both plan its last pulls). Only what
 * is charged (`charge`, for copy Jobs created) and what registries said is stored; reservations are not.
 */
export class PullBudgetBook {
  private entries: PullLedger;
  private readonly reserved = new Map<string, number>();
  private readonly declared = new Map<string, PullBudget>();
  private readonly clock: () => number;

  constructor(stored: PullLedger = {}, clock: () => number = () => Date.now()) {
    this.entries = { ...stored };
    this.clock = clock;
  }

  private now(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** A manifest plans under `budget` for `key`: the window charges of this key are counted for. */
  declare(key: string, budget: PullBudget): void {
    this.declared.set(key, budget);
  }

  remaining(key: string, budget: PullBudget): number {
    return Math.max(0, remainingPulls(this.entries[key], budget, this.now()) - (this.reserved.get(key) ?? 0));
  }

  /** When `needed` pulls will be left, as a Date (now when they are); undefined when never. */
  nextAt(key: string, budget: PullBudget, needed: number): Date | undefined {
    const reserved = this.reserved.get(key) ?? 0;
    const now = this.now();
    // What is reserved is charged when its Jobs are created, in a moment: it frees up a window from now.
    const entry =
      reserved > 0 ? chargePulls(this.entries[key], reserved, now, this.perSeconds(key)) : this.entries[key];
    const at = nextPullsAt(entry, budget, needed, now);
    return at === undefined ? undefined : new Date(at * 1000);
  }

  reserve(key: string, pulls: number): void {
    if (pulls > 0) this.reserved.set(key, (this.reserved.get(key) ?? 0) + pulls);
  }

  /** A registry's answer for `key` (its rate-limit headers, a 429). */
  answer(key: string, answer: { status: number; headers: Record<string, string | string[] | undefined> }) {
    const per = this.perSeconds(key);
    const next = recordAnswer(this.entries[key], answer, this.now(), per);
    if (next) this.entries[key] = next;
  }

  /** Pulls a created copy Job will make. */
  charge(key: string, pulls: number): void {
    if (pulls > 0)
      this.entries[key] = chargePulls(this.entries[key], pulls, this.now(), this.perSeconds(key));
  }

  /**
   * Pulls made at `atMs` (epoch ms) without the reconciler (a CronJob's run), seen now: counted until `per`
   * after they were made; nothing once that has passed.
   */
  chargeAt(key: string, pulls: number, atMs: number): void {
    const at = Math.min(this.now(), Math.floor(atMs / 1000));
    const per = this.perSeconds(key);
    if (pulls > 0 && at + per > this.now())
      this.entries[key] = chargePulls(this.entries[key], pulls, at, per);
  }

  /** What to store. */
  ledger(): PullLedger {
    return pruneLedger(this.entries, this.now());
  }

  private perSeconds(key: string): number {
    const declared = this.declared.get(key)?.perMs;
    // Undeclared this sync: the last declaration's window, else a day (conservative for Docker Hub's 6h).
    return declared ? Math.ceil(declared / 1000) : (this.entries[key]?.perSeconds ?? 86_400);
  }
}
