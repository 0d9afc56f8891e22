import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../../src/index.js';
import { run, csv, SALES, sheetAfter } from '../helpers.js';

describe('select_columns, rename_columns, reorder_columns', () => {
  it('keeps listed columns in the listed order', async () => {
    const s = await sheetAfter([{ type: 'select_columns', params: { columns: ['status', 'id'] } }], SALES);
    expect(s.columns).toEqual(['status', 'id']);
    expect(s.rows[0]).toEqual(['open', 1]);
  });

  it('drops listed columns', async () => {
    const s = await sheetAfter([{ type: 'select_columns', params: { drop: ['date', 'status'] } }], SALES);
    expect(s.columns).toEqual(['id', 'region', 'amount']);
  });

  it('renames, refusing a rename that would duplicate a name', async () => {
    const s = await sheetAfter([{ type: 'rename_columns', params: { mapping: { amount: 'Betrag €', region: '地域' } } }], SALES);
    expect(s.columns).toEqual(['id', '地域', 'Betrag €', 'date', 'status']);
    await expect(run([{ type: 'rename_columns', params: { mapping: { amount: 'id' } } }], csv(SALES))).rejects.toMatchObject({ code: 'INVALID_STEPS', step: 0 });
    await expect(run([{ type: 'rename_columns', params: { mapping: { nope: 'x' } } }], csv(SALES))).rejects.toMatchObject({ code: 'MISSING_COLUMN' });
  });

  it('reorders: listed columns first, the rest after in their order', async () => {
    const s = await sheetAfter([{ type: 'reorder_columns', params: { columns: ['status', 'amount'] } }], SALES);
    expect(s.columns).toEqual(['status', 'amount', 'id', 'region', 'date']);
    expect(s.rows[3]).toEqual(['open', null, 4, 'East', new Date('2024-04-20T00:00:00Z')]);
  });
});

describe('compute_column', () => {
  it('adds a column from an expression, empty where an operand is empty', async () => {
    const s = await sheetAfter([{ type: 'compute_column', params: { column: 'margin', expression: 'amount * 0.2' } }], SALES);
    expect(s.columns.at(-1)).toBe('margin');
    expect(s.rows.map((r) => r[5])).toEqual([24.1, 16, 40, null, 30]);
  });

  it('replaces an existing column in place and works with dates and text', async () => {
    const s = await sheetAfter(
      [
        { type: 'compute_column', params: { column: 'region', expression: 'upper(region) + "/" + year(date)' } },
        { type: 'compute_column', params: { column: 'due', expression: 'add_days(date, 30)' } },
      ],
      SALES,
    );
    expect(s.rows[0]!.slice(1, 2)).toEqual(['NORTH/2024']);
    expect(s.rows[0]![5]).toEqual(new Date('2024-02-04T00:00:00Z'));
  });

  it('rolls date(y, m, d) over as Excel\'s DATE does, and leaves a date past the years 0-9999 empty', async () => {
    const OUT = { type: 'output', params: { artifacts: [{ name: 'o.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } };
    const r = await run(
      [{ type: 'compute_column', params: { column: 'd', expression: 'date(y, m, day)' } }, OUT],
      csv('y,m,day\n2026,2,31\n2026,13,1\n2026,3,0\n2026,0,1\n10000,1,1\n9999,13,1\n0,0,1\n1000000,1,1\n'),
    );
    expect(r.text('o.csv')).toBe(
      'y,m,day,d\r\n2026,2,31,2026-03-03\r\n2026,13,1,2027-01-01\r\n2026,3,0,2026-02-28\r\n2026,0,1,2025-12-01\r\n' +
        '10000,1,1,\r\n9999,13,1,\r\n0,0,1,\r\n1000000,1,1,\r\n',
    );
  });

  it('leaves a date moved past the years 0-9999 empty in csv and xlsx artifacts, as date(y, m, d) does', async () => {
    const OUT = { type: 'output', params: { artifacts: [{ name: 'o.csv', sheets: [{ from: 'Sales' }] }, { name: 'o.xlsx', sheets: [{ from: 'Sales' }] }] } };
    const steps: StepSpec[] = [
      { type: 'compute_column', params: { column: 'later', expression: 'add_days(d, n)' } },
      { type: 'compute_column', params: { column: 'plus', expression: 'd + n' } },
      { type: 'compute_column', params: { column: 'minus', expression: 'd - n' } },
      { type: 'compute_column', params: { column: 'shown', expression: 'format_date(d + n)' } },
      OUT,
    ];
    // The run failed as INTERNAL ("Invalid time value") on the third row, and wrote +010000-01-01 for the second.
    const r = await run(steps, csv('d,n\n2026-01-01,1\n9999-12-31,1\n2026-01-01,1e300\n0000-01-01,1\n'));
    expect(r.text('o.csv')).toBe(
      'd,n,later,plus,minus,shown\r\n2026-01-01,1,2026-01-02,2026-01-02,2025-12-31,2026-01-02\r\n9999-12-31,1,,,9999-12-30,\r\n' +
        '2026-01-01,1e+300,,,,\r\n0000-01-01,1,0000-01-02,0000-01-02,,0000-01-02\r\n',
    );
    // The fourth row's dates come before 1900, where Excel's date system has none.
    expect((await r.sheets('o.xlsx'))['Sales']!.rows.slice(0, 3).map((row) => row.slice(2))).toEqual([
      [new Date('2026-01-02T00:00:00Z'), new Date('2026-01-02T00:00:00Z'), new Date('2025-12-31T00:00:00Z'), '2026-01-02'],
      [null, null, new Date('9999-12-30T00:00:00Z'), null],
      [null, null, null, null],
    ]);
  });

  it('keeps very long text up to Excel\'s cell limit', async () => {
    const long = 'é'.repeat(40000);
    const r = await run([{ type: 'compute_column', params: { column: 'long', expression: 'concat(a, a)' } }], csv(`a\n${long}\n`));
    const s = (await r.sheets())['Sales']!;
    expect((s.rows[0]![0] as string).length).toBe(32767);
    expect((s.rows[0]![1] as string).length).toBe(32767);
    expect(r.result.logs.some((l) => l.level === 'warn' && /longer than 32767/.test(l.message))).toBe(true);
  });

  it('rejects a bad expression before reading anything', async () => {
    await expect(run([{ type: 'compute_column', params: { column: 'x', expression: 'amount.constructor' } }], csv(SALES))).rejects.toMatchObject({
      code: 'INVALID_STEPS',
      issues: [expect.objectContaining({ path: 'steps[0].params.expression', code: 'BAD_EXPRESSION' })],
    });
  });
});

describe('text built step after step', () => {
  const OUT = { type: 'output', params: { artifacts: [{ name: 'o.csv', format: 'csv', sheets: [{ from: 'Sales' }] }] } };
  const times = (n: number, step: StepSpec) => Array.from({ length: n }, () => step);

  it('fails the run with TOO_LARGE at the step whose + passes 1 Mi characters, not the process', async () => {
    // 8 characters doubled 17 times is exactly 1 Mi: the 18th doubling passes it; 26 would be V8's longest string.
    const double = { type: 'compute_column', params: { column: 's', expression: 's + s' } };
    const input = csv(`id,s\n${Array.from({ length: 100 }, (_, i) => `${i},abcdefgh`).join('\n')}\n`);
    const ok = await run([...times(17, double), OUT], input);
    expect(ok.result.steps[16]).toMatchObject({ status: 'SUCCEEDED', rowsOut: 100 });
    await expect(run([...times(30, double), OUT], input)).rejects
      .toMatchObject({ code: 'TOO_LARGE', step: 17, message: "the expression's + builds a text of more than 1048576 characters" });
  });

  it('fails the run with TOO_LARGE at the step whose concat() or replace() passes 1 Mi characters, as +', async () => {
    const concat = { type: 'compute_column', params: { column: 's', expression: 'concat(s, s)' } };
    const input = csv(`id,s\n1,${'abcdefgh'.repeat(4096)}\n`);
    // 32 Ki characters doubled 5 times is exactly 1 Mi: the 6th doubling passes it.
    const ok = await run([...times(5, concat), OUT], input);
    expect(ok.text('o.csv')).toHaveLength('id,s\r\n1,\r\n'.length + 1024 * 1024);
    await expect(run([...times(6, concat), OUT], input)).rejects
      .toMatchObject({ code: 'TOO_LARGE', step: 5, message: "the expression's concat() builds a text of more than 1048576 characters" });
    const replace = { type: 'compute_column', params: { column: 's', expression: 'replace(s, "a", "aa")' } };
    await expect(run([...times(30, replace), OUT], csv('id,s\n1,a\n'))).rejects
      .toMatchObject({ code: 'TOO_LARGE', step: 20, message: "the expression's replace() builds a text of more than 1048576 characters" });
  });

  it('writes a concat() longer than an xlsx cell whole to csv, and cut to 32,767 characters with a warning to xlsx', async () => {
    const steps = [
      { type: 'compute_column', params: { column: 'long', expression: 'concat(s, s, s)' } },
      { type: 'output', params: { artifacts: [{ name: 'o.csv', format: 'csv', sheets: [{ from: 'Sales' }] }, { name: 'o.xlsx', sheets: [{ from: 'Sales' }] }] } },
    ];
    const s = 'x'.repeat(20_000);
    const r = await run(steps, csv(`id,s\n1,${s}\n2,short\n`));
    expect(r.text('o.csv')).toBe(`id,s,long\r\n1,${s},${s.repeat(3)}\r\n2,short,shortshortshort\r\n`);
    const sheet = (await r.sheets('o.xlsx'))['Sales']!;
    expect(sheet.rows).toEqual([[1, s, 'x'.repeat(32_767)], [2, 'short', 'shortshortshort']]);
    expect(r.result.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'o.xlsx: 1 text cells were longer than 32767 characters and were cut' }));
  });

  it('fails the run with TOO_LARGE at the clean step whose replace passes 1 Mi characters', async () => {
    const double = { type: 'clean', params: { columns: ['s'], replace: [{ find: 'a', with: 'aa' }] } };
    const input = csv('id,s\n1,a\n');
    await expect(run([...times(30, double), OUT], input)).rejects
      .toMatchObject({ code: 'TOO_LARGE', step: 20, message: 'replace builds a text of more than 1048576 characters' });
    // One replace past V8's own longest string is the same clear error, not INTERNAL.
    const wide = { type: 'clean', params: { columns: ['s'], replace: [{ find: 'a', with: 'b'.repeat(1000) }] } };
    await expect(run([wide, OUT], csv(`id,s\n1,${'a'.repeat(600_000)}\n`))).rejects.toMatchObject({ code: 'TOO_LARGE', step: 0 });
  });
});
