/**
 * The given keys that are close to a key the steps read and were not given: the same but for letter case, or a
 * small edit apart (one edit in a key of up to 4 characters, two in a longer one; a swap of neighbours counts one).
 * Each given key is paired with the closest wanted key, if any.
 */
export function closeKeys(given: readonly string[], wanted: readonly string[]): Array<{ given: string; key: string }> {
  const pairs: Array<{ given: string; key: string }> = [];
  for (const g of given) {
    let best: { key: string; distance: number } | null = null;
    for (const w of wanted) {
      const distance = g.toLowerCase() === w.toLowerCase() ? 0 : editDistance(g.toLowerCase(), w.toLowerCase());
      const allowed = Math.min(g.length, w.length) <= 4 ? 1 : 2;
      if (distance <= allowed && (!best || distance < best.distance)) best = { key: w, distance };
    }
    if (best) pairs.push({ given: g, key: best.key });
  }
  return pairs;
}

/** Optimal string alignment distance (Levenshtein with adjacent swaps), over UTF-16 units: keys are short. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3; // more than any allowed distance
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
