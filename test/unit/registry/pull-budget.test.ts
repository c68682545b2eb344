// The pull-budget ledger as plain data: a sliding window of charges, what registries say (RateLimit-Remaining,
// 429), when the next pulls are free, and how it stays small.
import assert from 'node:assert/strict';
import {
  budgetKey,
  chargePulls,
  LEDGER_CHARGES_MAX,
  LEDGER_KEYS_MAX,
  type LedgerEntry,
  nextPullsAt,
  type PullBudget,
  PullBudgetBook,
  parseRateLimitRemaining,
  pruneLedger,
  readLedger,
  recordAnswer,
  remainingPulls,
} from '../../../src/registry/pull-budget.js';

const HOUR = 3600;
const budget: PullBudget = { pulls: 10, perMs: 6 * HOUR * 1000, platformsPerIndex: 2 };
const T = 1_800_000_000; // epoch seconds

describe('pull budget ledger', () => {
  it('keys a budget by host and user name, anonymous pulls apart, never by a secret', () => {
    assert.equal(budgetKey('docker.io', 'robot'), 'docker.io as robot');
    assert.equal(budgetKey('docker.io', undefined), 'docker.io anonymous');
    assert.notEqual(budgetKey('docker.io', 'a'), budgetKey('docker.io', 'b'));
  });

  it('reads Docker Hub\'s "76;w=21600" and a bare count, and nothing else', () => {
    assert.deepEqual(parseRateLimitRemaining('76;w=21600'), { remaining: 76, windowSeconds: 21600 });
    assert.deepEqual(parseRateLimitRemaining('0'), { remaining: 0 });
    assert.deepEqual(parseRateLimitRemaining(' 5 ; w=60 '), { remaining: 5, windowSeconds: 60 });
    assert.equal(parseRateLimitRemaining('many'), undefined);
    assert.equal(parseRateLimitRemaining(undefined), undefined);
  });

  it('counts a charge for one window after it is made (a sliding window), then frees it', () => {
    let entry = chargePulls(undefined, 4, T, 6 * HOUR);
    entry = chargePulls(entry, 3, T + HOUR, 6 * HOUR);
    assert.equal(remainingPulls(entry, budget, T + HOUR), 3);
    assert.equal(remainingPulls(entry, budget, T + 6 * HOUR - 1), 3, 'both still in the window');
    assert.equal(remainingPulls(entry, budget, T + 6 * HOUR), 7, 'the first charge has left the window');
    assert.equal(remainingPulls(entry, budget, T + 7 * HOUR), 10);
    assert.equal(
      remainingPulls(chargePulls(entry, 9, T + HOUR, 6 * HOUR), budget, T + HOUR),
      0,
      'never below 0',
    );
  });

  it('says when the pulls needed are free: now, when enough charges have left the window, or never', () => {
    let entry = chargePulls(undefined, 6, T, 6 * HOUR);
    entry = chargePulls(entry, 4, T + HOUR, 6 * HOUR);
    assert.equal(nextPullsAt(entry, budget, 0, T + HOUR), T + HOUR);
    assert.equal(nextPullsAt(entry, budget, 5, T + HOUR), T + 6 * HOUR);
    assert.equal(nextPullsAt(entry, budget, 7, T + HOUR), T + 7 * HOUR);
    assert.equal(nextPullsAt(entry, budget, 11, T + HOUR), undefined, 'more than the whole budget');
  });

  it("takes the registry's RateLimit-Remaining when it says less, until its window ends, less what was charged since", () => {
    let entry = recordAnswer(
      undefined,
      { status: 200, headers: { 'ratelimit-remaining': '3;w=600' } },
      T,
      6 * HOUR,
    );
    assert.equal(remainingPulls(entry, budget, T), 3);
    entry = chargePulls(entry, 2, T + 1, 6 * HOUR);
    assert.equal(remainingPulls(entry, budget, T + 1), 1, 'the registry said 3, 2 charged since');
    assert.equal(remainingPulls(entry, budget, T + 600), 8, "past the registry's window: our own count");
    const more = recordAnswer(
      undefined,
      { status: 200, headers: { 'ratelimit-remaining': '50' } },
      T,
      6 * HOUR,
    );
    assert.equal(
      remainingPulls(more, budget, T),
      10,
      'a registry that allows more does not raise the budget',
    );
  });

  it('keeps a report that says the same count again as it is, so a steady state stores nothing new', () => {
    const first = recordAnswer(
      undefined,
      { status: 200, headers: { 'ratelimit-remaining': '7;w=600' } },
      T,
      HOUR,
    );
    const again = recordAnswer(
      first,
      { status: 200, headers: { 'ratelimit-remaining': '7;w=600' } },
      T + 30,
      HOUR,
    );
    assert.deepEqual(again, first);
    const lower = recordAnswer(
      first,
      { status: 200, headers: { 'ratelimit-remaining': '6;w=600' } },
      T + 30,
      HOUR,
    );
    assert.deepEqual(lower?.registry, { remaining: 6, until: T + 630, charged: 0 });
  });

  it("spends the budget on a 429 until its Retry-After, else for the budget's window", () => {
    const hinted = recordAnswer(undefined, { status: 429, headers: { 'retry-after': '120' } }, T, 6 * HOUR);
    assert.equal(remainingPulls(hinted, budget, T + 119), 0);
    assert.equal(remainingPulls(hinted, budget, T + 120), 10);
    const bare = recordAnswer(undefined, { status: 429, headers: {} }, T, 6 * HOUR);
    assert.equal(remainingPulls(bare, budget, T + 6 * HOUR - 1), 0);
    assert.equal(nextPullsAt(bare, budget, 1, T), T + 6 * HOUR);
    assert.equal(recordAnswer(undefined, { status: 200, headers: {} }, T, HOUR), undefined, 'no news');
  });

  it(`stays bounded: at most ${LEDGER_CHARGES_MAX} charges a key, merged into the later one (never freed early)`, () => {
    let entry: LedgerEntry | undefined;
    for (let i = 0; i < LEDGER_CHARGES_MAX + 10; i++) entry = chargePulls(entry, 1, T + i, HOUR);
    assert.equal(entry!.charges.length, LEDGER_CHARGES_MAX);
    const big: PullBudget = { ...budget, pulls: 1000 };
    assert.equal(remainingPulls(entry, big, T + LEDGER_CHARGES_MAX + 10), 1000 - LEDGER_CHARGES_MAX - 10);
    assert.ok(entry!.charges.every(([until], i, all) => i === 0 || until >= all[i - 1]![0]));
    assert.ok(entry!.charges[0]![0] >= T + 11 + HOUR - 1, 'the merged oldest are freed at the later time');
  });

  it(`drops what no longer counts and keeps at most ${LEDGER_KEYS_MAX} keys, the latest`, () => {
    const ledger: Record<string, LedgerEntry> = {
      old: chargePulls(undefined, 1, T - 2 * HOUR, HOUR),
      live: chargePulls(undefined, 1, T, HOUR),
    };
    assert.deepEqual(Object.keys(pruneLedger(ledger, T)), ['live']);
    const many: Record<string, LedgerEntry> = {};
    for (let i = 0; i < LEDGER_KEYS_MAX + 5; i++) many[`k${i}`] = chargePulls(undefined, 1, T + i, HOUR);
    const kept = Object.keys(pruneLedger(many, T));
    assert.equal(kept.length, LEDGER_KEYS_MAX);
    assert.ok(!kept.includes('k0') && kept.includes(`k${LEDGER_KEYS_MAX + 4}`));
  });

  it('trusts stored data only in its shape', () => {
    assert.deepEqual(readLedger('x'), {});
    assert.deepEqual(readLedger({ a: { charges: [[1, 2], ['x', 1], [3]] }, b: null, c: { charges: 'no' } }), {
      a: { charges: [[1, 2]] },
    });
  });

  it('one sync: reservations of earlier manifests count for later ones, only charges and answers are stored', () => {
    let now = T * 1000;
    const book = new PullBudgetBook({}, () => now);
    const key = budgetKey('docker.io', 'robot');
    book.declare(key, budget);
    book.reserve(key, 4);
    assert.equal(book.remaining(key, budget), 6);
    assert.deepEqual(book.ledger(), {}, 'a reservation is not stored');
    book.charge(key, 4);
    book.answer(key, { status: 200, headers: { 'ratelimit-remaining': '1;w=60' } });
    assert.equal(book.remaining(key, budget), 0, '1 left at the registry, 4 reserved');
    assert.deepEqual(book.ledger()[key]?.charges, [[T + 6 * HOUR, 4]]);
    // 1 more with 4 reserved (charged in a moment): when the registry's window ends, 2 of our 10 are left.
    assert.equal(book.nextAt(key, budget, 1)?.getTime(), (T + 60) * 1000);
    assert.equal(book.nextAt(key, budget, 3)?.getTime(), (T + 6 * HOUR) * 1000);
    assert.equal(book.nextAt(key, budget, 10)?.getTime(), (T + 6 * HOUR) * 1000, 'all of it, once both left');
    assert.equal(book.nextAt(key, budget, 11), undefined, 'more than the whole budget: never');
    now += 6 * HOUR * 1000;
    assert.deepEqual(book.ledger(), {}, 'all expired');
  });
});
