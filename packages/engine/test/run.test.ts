import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EngineError, previewWorkflow, ruleTypes, validateSteps } from '../src/index.js';
import { csv, run, SALES } from './helpers.js';

const big = (n: number) => 'id,g,v\n' + Array.from({ length: n }, (_, i) => `${i},${i % 7},${i % 100}`).join('\n');

describe('runWorkflow', () => {
  it('writes every sheet to <input>-result.xlsx when there is no output step', async () => {
    const r = await run([{ type: 'aggregate', params: { into: 'Totals', groupBy: ['region'], measures: [{ fn: 'count', as: 'n' }] } }], csv(SALES, 'Sales.csv'));
    expect(r.result.artifacts).toEqual([{ name: 'Sales-result.xlsx', format: 'xlsx', rows: 9, sheets: ['Sales', 'Totals'] }]);
    expect(r.result.steps[0]).toMatchObject({ index: 0, type: 'aggregate', status: 'SUCCEEDED', rowsIn: 5, rowsOut: 4 });
    expect(r.result.logs[0]).toEqual({ level: 'info', message: 'read sheet "Sales": 5 rows' });
  });

  it('reports progress: rows read, percent when the size is known, and the phases', async () => {
    const seen: Array<{ phase: string; rowsProcessed: number; percent?: number }> = [];
    await run([{ type: 'sort', params: { by: [{ column: 'v' }] } }], csv(big(20000)), { onProgress: (p) => seen.push(p) });
    expect(seen.some((p) => p.phase === 'WRITING' && p.percent === 100)).toBe(true);
    expect(seen.filter((p) => p.phase === 'READING').length).toBeGreaterThan(0);
    expect(seen.at(-1)!.rowsProcessed).toBe(20000);
  });

  it('stops promptly with CANCELLED when aborted, even while the input stalls', async () => {
    const ac = new AbortController();
    // The stream gives a header and a row, then never ends.
    const input = { fileName: 'slow.csv', open: () => { const s = new Readable({ read() {} }); s.push('a,b\n1,2\n'); return s; } };
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    await expect(run([], input, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('fails with TOO_LARGE past maxRows, and past the memory bound of a blocking step', async () => {
    await expect(run([], csv(big(1000)), { limits: { maxRows: 999 } })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const err = await run([{ type: 'filter', params: { where: { column: 'v', op: 'gte', value: 0 } } }, { type: 'sort', params: { by: [{ column: 'v' }] } }], csv(big(1000)), { limits: { maxRowsInMemory: 500 } }).catch((e: EngineError) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/sort of "Sales" needs more than 500 rows/) });
    expect((err as EngineError).steps!.map((s) => s.status)).toEqual(['FAILED', 'FAILED']);
    expect((err as EngineError).step).toBe(1);
  });

  it('streams row-wise steps: a filter over many rows holds none of them', async () => {
    const r = await run([{ type: 'filter', params: { where: { column: 'g', op: 'eq', value: 3 } } }, { type: 'compute_column', params: { column: 'w', expression: 'v * 2' } }], csv(big(50000)), {
      limits: { maxRowsInMemory: 10 },
    });
    expect(r.result.steps.map((s) => s.rowsOut)).toEqual([7143, 7143]);
  });

  it('fails with OUTPUT_FAILED when the artifact cannot be opened or written', async () => {
    const { runWorkflow } = await import('../src/index.js');
    const { Writable } = await import('node:stream');
    await expect(runWorkflow({ steps: [], input: csv(SALES), openArtifact: async () => Promise.reject(new Error('disk full')) })).rejects.toMatchObject({ code: 'OUTPUT_FAILED' });
    const broken = () => new Writable({ write: (_c, _e, cb) => cb(new Error('connection reset')) });
    await expect(runWorkflow({ steps: [], input: csv(SALES), openArtifact: async () => broken() })).rejects.toMatchObject({ code: 'OUTPUT_FAILED' });
  });

  it('refuses invalid steps with every issue and its path', async () => {
    await expect(run([{ type: 'nope', params: {} }], csv(SALES))).rejects.toMatchObject({ code: 'INVALID_STEPS', issues: [expect.objectContaining({ path: 'steps[0].type' })] });
  });
});

describe('validateSteps and ruleTypes', () => {
  it('reports precise paths deep inside condition trees', () => {
    const issues = validateSteps([
      { type: 'filter', params: { where: { column: 'a', op: 'gt', value: 1 } } },
      { type: 'filter', params: { where: { all: [{ column: 'a', op: 'bigger', value: 1 }, { any: [{ column: 'b', op: 'between', value: [1] }] }, { not: { expression: 'a.b' } }] } } },
      { type: 'sort', params: { by: [{ direction: 'up' }], extra: 1 } },
      { type: 'filter', params: { where: { column: 'a', op: 'matches', value: '(' } } },
    ]);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'steps[1].params.where.all[0].op', code: 'INVALID_VALUE' }),
        expect.objectContaining({ path: 'steps[1].params.where.all[1].any[0].value' }),
        expect.objectContaining({ path: 'steps[2].params.by[0].column', code: 'REQUIRED' }),
        expect.objectContaining({ path: 'steps[2].params.by[0].direction', code: 'INVALID_VALUE' }),
        expect.objectContaining({ path: 'steps[2].params.extra', code: 'UNKNOWN_PROPERTY' }),
        expect.objectContaining({ path: 'steps[3].params.where.value', code: 'BAD_PATTERN' }),
      ]),
    );
    expect(issues.some((i) => i.path.startsWith('steps[0]'))).toBe(false);
    expect(validateSteps([{ type: 'filter', params: { where: { not: { expression: 'a.b' } } } }])).toEqual([
      expect.objectContaining({ path: 'steps[0].params.where.not.expression', code: 'BAD_EXPRESSION' }),
    ]);
  });

  it('accepts the design document example and returns [] for it', () => {
    expect(
      validateSteps([
        { type: 'filter', params: { sheet: 'Sales', where: { all: [{ column: 'status', op: 'ne', value: 'void' }, { column: 'amount', op: 'gt', value: 100 }] } } },
        { type: 'compute_column', params: { sheet: 'Sales', column: 'margin', expression: 'amount * 0.2' } },
        { type: 'aggregate', params: { sheet: 'Sales', into: 'Summary', groupBy: ['region', 'category'], measures: [{ column: 'amount', fn: 'sum', as: 'amount' }, { column: 'margin', fn: 'sum', as: 'margin' }] } },
        { type: 'sort', params: { sheet: 'Summary', by: [{ column: 'amount', direction: 'desc' }] } },
        { type: 'output', params: { artifacts: [{ name: 'report.xlsx', format: 'xlsx', sheets: [{ from: 'Sales', as: 'Filtered' }, { from: 'Summary' }] }] } },
      ]),
    ).toEqual([]);
    expect(validateSteps('nope')).toEqual([{ path: 'steps', code: 'INVALID_TYPE', message: 'steps must be a list' }]);
  });

  it('serves one JSON Schema per step type', () => {
    const types = ruleTypes();
    expect(types.map((t) => t.type)).toEqual(['header_row', 'filter', 'move_rows', 'aggregate', 'sort', 'select_columns', 'rename_columns', 'reorder_columns', 'compute_column', 'dedupe', 'lookup', 'split', 'clean', 'validate', 'output']);
    for (const t of types) expect(t.paramsSchema).toMatchObject({ type: 'object' });
    expect(JSON.parse(JSON.stringify(types))).toEqual(types);
  });
});

describe('previewWorkflow', () => {
  it('shows the first rows of the sheets each step writes, reading only the first rows', async () => {
    const p = await previewWorkflow({
      steps: [
        { type: 'filter', params: { where: { column: 'v', op: 'lt', value: 50 } } },
        { type: 'aggregate', params: { into: 'G', groupBy: ['g'], measures: [{ fn: 'count', as: 'n' }] } },
        { type: 'output', params: { artifacts: [{ name: 'x.xlsx' }] } },
      ],
      input: csv(big(100000)),
      limit: 3,
    });
    expect(p.steps[0]).toEqual({ index: 0, type: 'filter', rowsIn: 3, rowsOut: 3, sheets: { Sales: { columns: ['id', 'g', 'v'], rows: [[0, 0, 0], [1, 1, 1], [2, 2, 2]] } } });
    expect(p.steps[1]!.sheets['G']).toEqual({ columns: ['g', 'n'], rows: [[0, 1], [1, 1], [2, 1]] });
    expect(p.steps[2]).toMatchObject({ type: 'output', sheets: {} });
  });

  it('counts the output step\'s rows as the run does: the rows its artifacts would get', async () => {
    const steps = [
      { type: 'filter', params: { where: { column: 'v', op: 'lt', value: 3 }, into: 'Small' } },
      { type: 'aggregate', params: { sheet: 'Small', into: 'G', groupBy: ['g'], measures: [{ fn: 'count', as: 'n' }] } },
      { type: 'split', params: { sheet: 'Small', by: 'g', prefix: 'g-' } },
      { type: 'output', params: { artifacts: [{ name: 'x.xlsx', sheets: [{ from: 'Small' }, { from: 'G' }] }, { name: '{sheet}.csv', sheets: [{ from: 'g-*' }] }] } },
    ];
    const text = big(6);
    const ran = await run(steps, csv(text));
    const previewed = await previewWorkflow({ steps, input: csv(text), limit: 100 });
    // 3 rows of Small and 3 groups of G in x.xlsx, 3 rows over the split's csvs.
    expect(ran.result.steps[3]).toMatchObject({ rowsIn: 9, rowsOut: 9 });
    expect(previewed.steps.map(({ rowsIn, rowsOut }) => ({ rowsIn, rowsOut }))).toEqual(ran.result.steps.map(({ rowsIn, rowsOut }) => ({ rowsIn, rowsOut })));
  });

  it('bounds the input\'s rows by the limit, not a lookup file\'s: a match further down the file is found, as in a run', async () => {
    // Five orders; the price list has 1,000 rows, and the prices of the orders' skus are at its end.
    const prices = `sku,price\n${Array.from({ length: 1_000 }, (_, i) => `S${999 - i},${999 - i}`).join('\n')}\n`;
    const p = await previewWorkflow({
      steps: [{ type: 'lookup', params: { from: { file: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }] } }],
      input: csv('sku\nS1\nS2\nS3\nS4\nS5\n'),
      files: { prices: csv(prices, 'prices.csv') },
      limit: 3,
    });
    expect(p.steps[0]).toMatchObject({ rowsIn: 3, rowsOut: 3, sheets: { Sales: { columns: ['sku', 'price'], rows: [['S1', 1], ['S2', 2], ['S3', 3]] } } });
  });
});
