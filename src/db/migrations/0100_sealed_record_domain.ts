import { type Kysely, sql } from "kysely";

/**
 * Every column holding envelope-sealed records gets the domain `sealed_record`: jsonb that is
 * null (wiped) or an object with a sealed record's key-management fields. It keeps plain
 * values out of a sealed column, and it marks the column, so a test can compare the columns
 * of this domain with key management's registry (src/keys/sealed-columns.ts): a sealed
 * column that rewrap, retire and the start-up check do not know fails the build's tests.
 * One statement per call (PGlite's extended protocol).
 */
const statements: string[] = [
  `CREATE DOMAIN sealed_record AS jsonb CHECK (
     VALUE IS NULL OR (jsonb_typeof(VALUE) = 'object'
       AND VALUE ?& ARRAY['format', 'kekProvider', 'keyId', 'keyVersion', 'wrappedKey', 'nonce', 'ciphertext', 'tag']))`,
  `ALTER TABLE webinar_secrets ALTER COLUMN record TYPE sealed_record`,
  `ALTER TABLE provider_erasures ALTER COLUMN sealed_email TYPE sealed_record`,
  `ALTER TABLE webhook_subscriptions ALTER COLUMN client_state TYPE sealed_record`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
