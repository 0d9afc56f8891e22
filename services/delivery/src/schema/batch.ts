/**
 * Collects the keys asked for during one turn of the event loop and loads them with one call, so a list of
 * N deliveries costs one attempts query instead of N. Create one per request: results are not cached
 * across requests, and the tenant scope comes from the caller's entity manager.
 */
export function batchLoader<K, V>(load: (keys: readonly K[]) => Promise<Map<K, V>>, fallback: V) {
  let pending: { keys: K[]; result: Promise<Map<K, V>> } | null = null;
  return (key: K): Promise<V> => {
    if (!pending) {
      const keys: K[] = [];
      const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        pending = null;
        return load(keys);
      });
      pending = { keys, result };
    }
    pending.keys.push(key);
    return pending.result.then((byKey) => byKey.get(key) ?? fallback);
  };
}
