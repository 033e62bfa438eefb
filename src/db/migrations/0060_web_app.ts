import { type Kysely, sql } from "kysely";

/** (Being written.) One statement per call (PGlite's extended protocol). */
const statements: string[] = [];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
