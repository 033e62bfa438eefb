import { type Kysely, sql } from "kysely";

/**
 * Custom registration questions (docs/registration-questions.md): the event keeps its
 * definitions in display order, the registration its answers by question id. Answers live
 * in the registration row, so erasure and retention (which delete registrations) take them.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE events ADD COLUMN registration_questions jsonb NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(registration_questions) = 'array')`,
  `ALTER TABLE registrations ADD COLUMN answers jsonb NOT NULL DEFAULT '{}'
    CHECK (jsonb_typeof(answers) = 'object')`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
