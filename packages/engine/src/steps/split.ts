import { EngineError } from '../errors.js';
import { atStep, indexes } from '../flow/nodes.js';
import type { RowSink } from '../flow/port.js';
import type { SheetGroup, StepModule } from '../flow/step-api.js';
import { columnName, objectSchema, sheetName } from '../schema/common.js';
import { toText, valueKey, type Row } from '../values.js';

interface Params {
  sheet?: string;
  by: string;
  prefix?: string;
  maxSheets?: number;
}

interface Subscriber {
  accept: (name: string) => boolean;
  make: (name: string) => RowSink | null;
}

export const split: StepModule<Params> = {
  type: 'split',
  title: 'Split into sheets',
  description:
    'Copies the rows of a sheet into one new sheet per distinct value of a column, named prefix + value. The sheets exist only once rows flow, so later steps cannot read them; an output step writes them, by name or pattern ("Region *").',
  paramsSchema: objectSchema(
    {
      sheet: sheetName,
      by: columnName,
      prefix: { type: 'string', maxLength: 30 },
      maxSheets: { type: 'integer', minimum: 1, maximum: 1000, description: 'Fail past this many distinct values (default 200).' },
    },
    ['by'],
  ),
  plan(p, ctx) {
    const source = ctx.sheetName(p.sheet);
    const max = p.maxSheets ?? 200;
    const subscribers: Subscriber[] = [];
    const sheets = new Map<string, RowSink[]>();
    const names = new Set<string>();
    const stats = ctx.stats;
    let columns: string[] = [];
    let col = 0;
    const group: SheetGroup = {
      label: `${p.prefix ?? ''}* (split of ${source} by ${p.by})`,
      subscribe: (accept, make) => subscribers.push({ accept, make }),
    };
    const open = (r: Row, key: string): RowSink[] => {
      if (sheets.size >= max) throw new EngineError('TOO_LARGE', `split of ${JSON.stringify(source)} by ${JSON.stringify(p.by)} would make more than ${max} sheets`, { step: ctx.index });
      const v = r[col] ?? null;
      const base = ((p.prefix ?? '') + (toText(v).trim() || '(empty)')).replace(/[:\\/?*[\]]/g, '_').slice(0, 31);
      let name = base;
      for (let k = 2; names.has(name.toLowerCase()); k++) name = `${base.slice(0, 26)} (${k})`;
      names.add(name.toLowerCase());
      const sinks = subscribers.filter((s) => s.accept(name)).map((s) => s.make(name)).filter((s): s is RowSink => s !== null);
      for (const s of sinks) s.begin(columns);
      sheets.set(key, sinks);
      return sinks;
    };
    ctx.read(p.sheet).attach({
      begin(c) {
        stats.startedAt = performance.now();
        columns = c;
        col = atStep(ctx, () => indexes(c, [p.by])[0]!);
      },
      row(r) {
        stats.rowsIn++;
        stats.rowsOut++;
        const key = valueKey(r[col] ?? null);
        const sinks = sheets.get(key) ?? open(r, key);
        for (let i = 0; i < sinks.length; i++) sinks[i]!.row(r);
      },
      end() {
        for (const sinks of sheets.values()) for (const s of sinks) s.end();
        ctx.log('info', `split ${JSON.stringify(source)} into ${sheets.size} sheets`);
        stats.endedAt = performance.now();
      },
    });
    ctx.writeGroup(group);
  },
};
