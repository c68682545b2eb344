/**
 * The items in the order `compare` gives, as a stable sort would put them: the items themselves when they
 * already are in that order (one pass, where a sort of thousands of keys by localeCompare costs many), else
 * a sorted copy. Never sorts in place.
 */
export function sortedBy<T>(items: readonly T[], compare: (a: T, b: T) => number): readonly T[] {
  for (let i = 1; i < items.length; i++)
    if (compare(items[i - 1]!, items[i]!) > 0) return [...items].sort(compare);
  return items;
}
