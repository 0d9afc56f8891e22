import pg from 'pg';

export type IndexState = { table: string; definition: string; valid: boolean; oid: number };

/** The indexes of a schema's tables, by name: their definition (`pg_get_indexdef`), whether valid, their oid. */
export async function indexesOf(url: string, schema: string): Promise<Map<string, IndexState>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string } & IndexState>(
      `select c.relname as name, t.relname as "table", pg_get_indexdef(i.indexrelid) as definition, i.indisvalid as valid, i.indexrelid::int as oid
         from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
         join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1`, [schema]);
    return new Map(rows.map(({ name, ...state }) => [name, state]));
  } finally {
    await client.end();
  }
}
