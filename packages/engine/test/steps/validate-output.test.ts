import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { validateSteps } from '../../src/index.js';
import { csv, readSheets, run } from '../helpers.js';

const PEOPLE = 'id,email,age,joined,tier\n1,a@x.com,34,2024-01-01,gold\n2,,17,2024-02-01,silver\n3,bad-email,130,someday,iron\n3,c@x.com,40,2024-03-01,gold\n5,d@x.com,,2024-04-01,Gold\n';

describe('validate', () => {
  it('quarantines rows failing blocking rules with their reasons, and counts warnings', async () => {
    const r = await run(
      [
        {
          type: 'validate',
          params: {
            quarantine: 'Rejected',
            rules: [
              { column: 'email', check: 'required' },
              { column: 'email', check: 'pattern', pattern: '^[^@]+@[^@]+$' },
              { column: 'age', check: 'range', min: 18, max: 120, severity: 'WARNING' },
              { column: 'joined', check: 'type', type: 'date' },
              { column: 'tier', check: 'allowed', values: ['gold', 'silver'], caseInsensitive: true },
              { column: 'id', check: 'unique' },
              { check: 'expression', expression: 'is_empty(age) || age < 100', message: 'age looks wrong' },
            ],
          },
        },
      ],
      csv(PEOPLE),
    );
    const all = await r.sheets();
    expect(all['Sales']!.rows.map((x) => x[0])).toEqual([1, 5]);
    expect(all['Rejected']!.columns.at(-1)).toBe('reasons');
    expect(all['Rejected']!.rows.map((x) => [x[0], x[5]])).toEqual([
      [2, 'email: is required; age: is outside 18 to 120'],
      [3, 'email: does not match ^[^@]+@[^@]+$; age: is outside 18 to 120; joined: is not a date; tier: "iron" is not an allowed value; age looks wrong'],
      [3, 'id: "3" is a duplicate'],
    ]);
    expect(r.result.steps[0]).toMatchObject({ rowsIn: 5, rowsOut: 2, warnings: 2 });
  });

  it('fails the run above the error ratio', async () => {
    await expect(run([{ type: 'validate', params: { rules: [{ column: 'email', check: 'required' }], maxErrorRatio: 0.1 } }], csv(PEOPLE))).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      step: 0,
      message: expect.stringMatching(/1 of 5 rows \(20%\)/),
    });
  });

  it('passes under the ratio, writing the quarantine sheet with its default name', async () => {
    const r = await run([{ type: 'validate', params: { rules: [{ column: 'email', check: 'required' }], maxErrorRatio: 0.5 } }], csv(PEOPLE));
    expect(Object.keys(await r.sheets())).toEqual(['Sales', 'Sales rejected']);
  });
});

describe('output', () => {
  it('writes chosen sheets under new names to xlsx and csv with a name template', async () => {
    const r = await run(
      [
        { type: 'filter', params: { into: 'Gold', where: { column: 'tier', op: 'eq', value: 'gold', caseInsensitive: true } } },
        { type: 'output', params: { artifacts: [{ name: '{input}-gold.xlsx', sheets: [{ from: 'Gold', as: 'Best' }, { from: 'people' }] }, { name: 'gold.csv', sheets: [{ from: 'Gold' }], delimiter: ';', bom: true }] } },
      ],
      csv(PEOPLE, 'people.csv'),
    );
    expect(r.result.artifacts).toEqual([
      { name: 'people-gold.xlsx', format: 'xlsx', rows: 8, sheets: ['Best', 'people'] },
      { name: 'gold.csv', format: 'csv', rows: 3, sheets: ['Gold'] },
    ]);
    expect(Object.keys(await r.sheets('people-gold.xlsx'))).toEqual(['Best', 'people']);
    expect(r.text('gold.csv').startsWith('\uFEFFid;email;age;joined;tier\r\n1;a@x.com;34;2024-01-01;gold\r\n')).toBe(true);
  });

  it('writes sheets as they were at the output step', async () => {
    const r = await run(
      [
        { type: 'output', params: { artifacts: [{ name: 'before.csv', sheets: [{ from: 'Sales' }] }] } },
        { type: 'filter', params: { where: { column: 'id', op: 'eq', value: 1 } } },
        { type: 'output', params: { artifacts: [{ name: 'after.csv', sheets: [{ from: 'Sales' }] }] } },
      ],
      csv(PEOPLE),
    );
    expect(r.text('before.csv').trim().split('\r\n')).toHaveLength(6);
    expect(r.text('after.csv').trim().split('\r\n')).toHaveLength(2);
    expect(r.result.steps.map((s) => s.rowsOut)).toEqual([5, 1, 1]);
  });

  it('escapes formula-looking text in csv but not numbers', async () => {
    const r = await run([{ type: 'output', params: { artifacts: [{ name: 'x.csv', sheets: [{ from: 'Sales' }] }] } }], csv('a,b\n"=HYPERLINK(""http://evil"")",-5\n@SUM(1),+1\n"\tx",-x\n'));
    expect(r.text('x.csv')).toBe('a,b\r\n"\'=HYPERLINK(""http://evil"")",-5\r\n"\'@SUM(1)",1\r\n"\'\tx","\'-x"\r\n');
  });

  it('refuses path-like artifact names and a csv of several sheets', async () => {
    await expect(run([{ type: 'output', params: { artifacts: [{ name: '../../etc/x.xlsx' }] } }], csv(PEOPLE))).rejects.toMatchObject({
      code: 'INVALID_STEPS',
      issues: [expect.objectContaining({ path: 'steps[0].params.artifacts[0].name' })],
    });
    await expect(run([{ type: 'output', params: { artifacts: [{ name: 'all.csv' }] } }], csv(PEOPLE))).rejects.toMatchObject({ code: 'INVALID_STEPS' });
  });

  it('refuses two artifacts of one name, letter case aside, in one output step or across two', () => {
    const out = (...artifacts: unknown[]) => ({ type: 'output', params: { artifacts } });
    expect(validateSteps([out({ name: 'x.xlsx', sheets: [{ from: 'Sales' }] }, { name: 'y.csv', sheets: [{ from: 'Sales' }] }, { name: 'X.xlsx', sheets: [{ from: 'S' }] })])).toEqual([
      { path: 'steps[0].params.artifacts[2].name', code: 'DUPLICATE_ARTIFACT', message: expect.stringContaining('already used by steps[0].params.artifacts[0]') },
    ]);
    const twoSteps = [out({ name: '{input}.csv', sheets: [{ from: 'Sales' }] }), { type: 'filter', params: { where: { column: 'id', op: 'gt', value: 1 } } }, out({ name: '{input}.csv', sheets: [{ from: 'Sales' }] })];
    expect(validateSteps(twoSteps)).toEqual([expect.objectContaining({ path: 'steps[2].params.artifacts[0].name', code: 'DUPLICATE_ARTIFACT' })]);
  });

  it('refuses a {sheet} name that writes a name another artifact has, for sheets named without a pattern', () => {
    const steps = [{ type: 'output', params: { artifacts: [{ name: 'Sales.csv', sheets: [{ from: 'Sales' }] }, { name: '{sheet}.csv', sheets: [{ from: 'Costs' }, { from: 'Sales' }] }] } }];
    expect(validateSteps(steps)).toEqual([{ path: 'steps[0].params.artifacts[1].name', code: 'DUPLICATE_ARTIFACT', message: expect.stringContaining('"{sheet}.csv" writes "Sales.csv"') }]);
    const apart = [{ type: 'output', params: { artifacts: [{ name: '{sheet}.csv', sheets: [{ from: 'North*' }] }, { name: '{sheet}.csv', sheets: [{ from: 'South*' }] }] } }];
    expect(validateSteps(apart)).toEqual([]);
  });

  it('fails the run with DUPLICATE_ARTIFACT, naming the output step, when names made while it runs collide', async () => {
    const steps = [
      { type: 'split', params: { by: 'region' } },
      { type: 'output', params: { artifacts: [{ name: '{sheet}.csv', sheets: [{ from: '*' }] }, { name: 'North.csv', sheets: [{ from: 'Sales' }] }] } },
    ];
    await expect(run(steps, csv(SALES_BY_REGION))).rejects.toMatchObject({ code: 'DUPLICATE_ARTIFACT', step: 1, message: expect.stringContaining('"North.csv"') });
    const fromInput = [{ type: 'output', params: { artifacts: [{ name: '{input}.csv', sheets: [{ from: 'Sales' }] }, { name: 'Sales.csv', sheets: [{ from: 'Sales' }] }] } }];
    await expect(run(fromInput, csv(SALES_BY_REGION))).rejects.toMatchObject({ code: 'DUPLICATE_ARTIFACT', step: 0 });
  });

  it('refuses, when a version is saved, a name longer than a file name may be once {date} and {sheet} are filled in', () => {
    const out = (artifact: object) => [{ type: 'output', params: { artifacts: [{ sheets: [{ from: 'Sales' }], ...artifact }] } }];
    // 30 {date} are 180 characters as written, 300 in a run.
    expect(validateSteps(out({ name: `${'{date}'.repeat(30)}.csv` }))).toEqual([{
      path: 'steps[0].params.artifacts[0].name', code: 'INVALID_VALUE',
      message: 'artifact name has 304 characters once {date} is filled in (with {input} left empty), more than the 255 a file name may have',
    }]);
    const perSheet = [{ type: 'output', params: { artifacts: [{ name: `${'{sheet}'.repeat(20)}.csv`, sheets: [{ from: 'Sales', as: 'S'.repeat(13) }] }] } }];
    expect(validateSteps(perSheet)).toEqual([expect.objectContaining({ path: 'steps[0].params.artifacts[0].name', code: 'INVALID_VALUE', message: expect.stringContaining('has 264 characters') })]);
    // What {input} will be is known only in a run, and what fits is accepted.
    expect(validateSteps(out({ name: `${'{input}'.repeat(28)}.csv` }))).toEqual([]);
    expect(validateSteps(out({ name: `${'r'.repeat(186)}{date}.csv` }))).toEqual([]);
  });

  it('fails the run with OUTPUT_FAILED at the output step, before opening anything, when {input} makes a name longer than a file name may be', async () => {
    const opened: string[] = [];
    const openArtifact = async (name: string) => { opened.push(name); return new PassThrough().resume(); };
    const steps = [{ type: 'output', params: { artifacts: [{ name: '{input}-by-region.xlsx', sheets: [{ from: '*', as: 'Sales' }] }] } }];
    await expect(run(steps, csv(SALES_BY_REGION, `${'q'.repeat(241)}.csv`), { openArtifact })).rejects.toMatchObject({
      code: 'OUTPUT_FAILED', step: 0,
      message: 'artifact "{input}-by-region.xlsx" would have a name of 256 characters in this run, more than the 255 a file name may have: shorten the artifact name or the input file\'s name ({input})',
    });
    expect(opened).toEqual([]);
    // 255 characters fit.
    const r = await run(steps, csv(SALES_BY_REGION, `${'q'.repeat(240)}.csv`));
    expect(r.result.artifacts.map((a) => a.name.length)).toEqual([255]);
  });

  it('fails a run without an output step with OUTPUT_FAILED when the input file\'s name makes its result file\'s too long', async () => {
    const failure = await run([{ type: 'sort', params: { by: [{ column: 'region' }] } }], csv(SALES_BY_REGION, `${'q'.repeat(250)}.csv`)).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      code: 'OUTPUT_FAILED',
      message: 'the run\'s result file, named after the input file ("{input}-result.xlsx"), would have a name of 262 characters in this run, more than the 255 a file name may have: give the input file a shorter name, or name the result in an output step',
    });
    expect((failure as { step?: number }).step).toBeUndefined();
  });

  it('runs a version saved before the rules for saving: names equal but for case, and an extension of the other format', async () => {
    const steps = [{ type: 'output', params: { artifacts: [
      { name: 'Report.csv', sheets: [{ from: 'Sales' }] }, { name: 'report.csv', sheets: [{ from: 'Sales' }] }, { name: 'odd.csv', format: 'xlsx', sheets: [{ from: 'Sales' }] },
    ] } }];
    expect(validateSteps(steps).map((i) => i.code).sort()).toEqual(['DUPLICATE_ARTIFACT', 'INVALID_VALUE']);
    const r = await run(steps, csv(SALES_BY_REGION));
    expect(r.result.artifacts.map((a) => `${a.name} ${a.format}`)).toEqual(['Report.csv csv', 'report.csv csv', 'odd.csv xlsx']);
  });

  it('refuses a name whose extension names the other format, and keeps a name without one as written', async () => {
    const out = (artifact: object) => [{ type: 'output', params: { artifacts: [{ sheets: [{ from: 'Sales' }], ...artifact }] } }];
    expect(validateSteps(out({ name: 'a.csv', format: 'xlsx' }))).toEqual([
      { path: 'steps[0].params.artifacts[0].format', code: 'INVALID_VALUE', message: expect.stringContaining('end the name in .xlsx') },
    ]);
    expect(validateSteps(out({ name: 'a.XLSX', format: 'csv' }))).toEqual([expect.objectContaining({ path: 'steps[0].params.artifacts[0].format' })]);
    expect(validateSteps(out({ name: 'a.CSV', format: 'csv' }))).toEqual([]);
    const r = await run(out({ name: 'PAYMENTS.TXT', format: 'csv' }), csv(SALES_BY_REGION));
    expect(r.result.artifacts).toEqual([{ name: 'PAYMENTS.TXT', format: 'csv', rows: 3, sheets: ['Sales'] }]);
  });

  it('writes an xlsx that another reader (exceljs) opens, with types intact', async () => {
    const ExcelJS = (await import('exceljs')).default;
    const r = await run([], csv('t,n,d,b\n  hi <&> ,1.5,2024-01-05,true\n東京🚀,-2,2024-01-05 10:30:00,false\n', 'types.csv'));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.files.get('types-result.xlsx')! as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('types')!;
    expect(ws.getRow(2).values).toEqual([undefined, '  hi <&> ', 1.5, new Date('2024-01-05T00:00:00Z'), true]);
    expect(ws.getRow(3).values).toEqual([undefined, '東京🚀', -2, new Date('2024-01-05T10:30:00Z'), false]);
    const back = await readSheets('x.xlsx', r.files.get('types-result.xlsx')!);
    expect(back['types']!.rows[1]).toEqual(['東京🚀', -2, new Date('2024-01-05T10:30:00Z'), false]);
  });
});

const SALES_BY_REGION = 'id,region\n1,North\n2,South\n3,North\n';
