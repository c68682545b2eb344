/**
 * Values of one pass kept for the next, by key, while still valid (a sync's parses and renders): a value
 * taken or put during a pass is carried over at `settle`, anything else is dropped (its key is gone).
 */
export class CarriedOver<V> {
  private last = new Map<string, V>();
  private next = new Map<string, V>();

  /** Last pass's value for `key` when `valid` says it still holds; it is carried over to the next pass. */
  take(key: string, valid: (value: V) => boolean): V | undefined {
    const value = this.last.get(key);
    if (value === undefined || !valid(value)) return undefined;
    this.next.set(key, value);
    return value;
  }

  /** A value of this pass, for the next. */
  keep(key: string, value: V): void {
    this.next.set(key, value);
  }

  /** The pass is over: what it took or kept is what the next pass may take. */
  settle(): void {
    this.last = this.next;
    this.next = new Map();
  }

  /** Forgets everything: the next pass starts afresh. */
  clear(): void {
    this.last.clear();
  }
}
