import {
  type Compilable,
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { preparable } from './prepared-statements.ts';
import type { Database } from './types.ts';

/** Builds queries without a connection, only to compile them (both engines speak Postgres' SQL). */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const SLOT = '\u0000newsdesk-slot:';

/**
 * A query that Kysely builds and compiles once, run many times with new values: on the hottest reads,
 * building and compiling cost as much as decoding the row. `build` marks each value with `slot(name)`;
 * the values are put in those places at run time, as parameters like any other. `prepared`: its plan does
 * not depend on the values (a lookup by a unique key), so it may run as a prepared statement.
 */
export function precompile<Slot extends string, Row>(
  build: (db: Kysely<Database>, slot: (name: Slot) => never) => Compilable<Row>,
  options: { prepared: boolean },
): (db: Kysely<Database>, values: Record<Slot, unknown>) => Promise<Row[]> {
  const template: CompiledQuery<Row> = build(compiler, (name) => `${SLOT}${name}` as never).compile();
  if (options.prepared) preparable(template.sql);
  const slots = template.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(SLOT) ? (value.slice(SLOT.length) as Slot) : undefined,
  );
  return async (db, values) => {
    const parameters = slots.map((slot, i) => (slot === undefined ? template.parameters[i] : values[slot]));
    const { rows } = await db.executeQuery<Row>({
      sql: template.sql,
      query: template.query,
      queryId: template.queryId,
      parameters,
    });
    return rows;
  };
}
