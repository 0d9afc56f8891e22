/**
 * Collects the keys asked for during one turn of the event loop and loads them with one call. A field resolved
 * per parent (the gateway's `_entities` call with fifty representations, a page of fifty items) runs its resolver
 * once per parent in the same turn: with this, a list of N costs one query instead of N.
 *
 * Make one per request (and per arguments the load depends on), kept beside the request's entity manager: results
 * are not kept past their batch, and the tenant's scope comes from that entity manager. A key asked twice in a
 * batch is loaded once; `load` answers a map, and a key it leaves out answers `fallback`. A failed load fails
 * every key of its batch, each at its own field.
 */
export function batchLoader<K, V>(load: (keys: readonly K[]) => Promise<Map<K, V>>, fallback: V) {
  let pending: { keys: Set<K>; result: Promise<Map<K, V>> } | null = null;
  return (key: K): Promise<V> => {
    if (!pending) {
      const keys = new Set<K>();
      // The next turn, not a microtask: resolvers reached through promise continuations of this turn (the items of
      // a list that resolve as promises) still join the batch.
      const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        pending = null;
        return load([...keys]);
      });
      pending = { keys, result };
    }
    pending.keys.add(key);
    return pending.result.then((byKey) => (byKey.has(key) ? byKey.get(key)! : fallback));
  };
}

/**
 * One value per request (its entity manager, or any object that lives as long as the request) and key, made on
 * first use and gone with the request: where a nested list keeps its `batchLoader`s, one per page arguments
 * (`first`, `after`), since only fields given the same page can share a statement.
 */
export function perRequest<V>() {
  const byRequest = new WeakMap<object, Map<string, V>>();
  return (request: object, key: string, make: () => V): V => {
    let values = byRequest.get(request);
    if (!values) byRequest.set(request, (values = new Map()));
    let value = values.get(key);
    if (value === undefined) values.set(key, (value = make()));
    return value;
  };
}
