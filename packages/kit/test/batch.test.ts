import { describe, expect, it } from 'vitest';
import { batchLoader, perRequest } from '@rowline/kit';

describe('batchLoader', () => {
  it('loads the keys asked in one turn with one call, each once, and answers each key its own value', async () => {
    const calls: string[][] = [];
    const load = batchLoader(async (keys: readonly string[]) => {
      calls.push([...keys]);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.toUpperCase()]));
    }, 'none');
    // One key asked after a few microtasks, as a list's items that resolve as promises reach their resolvers.
    const later = Promise.resolve().then(() => Promise.resolve()).then(() => load('c'));
    const answers = await Promise.all([load('a'), load('b'), load('a'), load('missing'), later]);
    expect(answers).toEqual(['A', 'B', 'A', 'none', 'C']);
    expect(calls).toEqual([['a', 'b', 'missing', 'c']]);
  });

  it('starts a new batch for keys asked after the last one was sent', async () => {
    const calls: string[][] = [];
    const load = batchLoader(async (keys: readonly string[]) => {
      calls.push([...keys]);
      return new Map(keys.map((k) => [k, k]));
    }, '');
    expect(await load('a')).toBe('a');
    expect(await load('a')).toBe('a');
    expect(calls).toEqual([['a'], ['a']]);
  });

  it('fails every key of a batch whose load failed, and the next batch loads afresh', async () => {
    let fail = true;
    const load = batchLoader(async (keys: readonly string[]) => {
      if (fail) throw new Error('down');
      return new Map(keys.map((k) => [k, 1]));
    }, 0);
    const answers = await Promise.allSettled([load('a'), load('b')]);
    expect(answers.map((a) => a.status === 'rejected' && (a.reason as Error).message)).toEqual(['down', 'down']);
    fail = false;
    expect(await load('a')).toBe(1);
  });
});

describe('perRequest', () => {
  it('makes one value per request and key, and a new one for another request or key', () => {
    const loaders = perRequest<{ n: number }>();
    let made = 0;
    const make = () => ({ n: made++ });
    const [one, two] = [{}, {}];
    expect(loaders(one, 'first 5', make)).toBe(loaders(one, 'first 5', make));
    expect(loaders(one, 'first 6', make)).not.toBe(loaders(one, 'first 5', make));
    expect(loaders(two, 'first 5', make)).not.toBe(loaders(one, 'first 5', make));
    expect(made).toBe(3);
  });
});
