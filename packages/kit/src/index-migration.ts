/** An index a migration builds: `columns` are the key, `include` rides along (an index-only read needs them). */
export type IndexDefinition = { name: string; table: string; columns: string[]; include?: string[] };

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

/**
 * The statements of a migration that builds `create` and then drops the indexes they replace, in the
 * migrator's transaction. Plain `create index` (`create index concurrently` cannot run in a transaction): it
 * blocks writes to the table while it builds. A large installation may build an index beforehand with `create
 * index concurrently` under the same name and definition, which `if not exists` then keeps; a concurrent build
 * that failed leaves an invalid index of that name, which no query would use, so it is dropped first.
 * `set local lock_timeout` holds for the transaction alone: on a busy table the migration fails after 5 s and can
 * be run again, instead of queueing the table's writes behind its lock request; it is set back at the end, since
 * migrations applied after this one share the transaction.
 */
export function indexMigrationSql(schema: string, create: IndexDefinition[], drop: string[] = []): string[] {
  return [
    `set local lock_timeout = '5s'`,
    `do $$
      declare invalid text;
      begin
        for invalid in
          select c.relname from pg_index i
            join pg_class c on c.oid = i.indexrelid
            join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = '${schema}' and c.relname in (${create.map((i) => `'${i.name}'`).join(', ')})
            and not i.indisvalid
        loop
          execute format('drop index "${schema}".%I', invalid);
        end loop;
      end $$`,
    ...create.map((i) => `create index if not exists "${i.name}" on "${schema}"."${i.table}" (${quoted(i.columns)})${i.include ? ` include (${quoted(i.include)})` : ''}`),
    ...drop.map((name) => `drop index if exists "${schema}"."${name}"`),
    `set local lock_timeout to default`,
  ];
}
