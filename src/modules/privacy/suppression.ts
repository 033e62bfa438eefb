import { createHmac } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema.ts";
import { normalizeEmail } from "../../lib/email-address.ts";

/** The keyed hash erasures keep instead of an address: per-organization salt, normalized email. */
export const hashEmail = (salt: string, email: string) =>
  createHmac("sha256", Buffer.from(salt, "base64")).update(normalizeEmail(email)).digest("hex");

/**
 * Whether data about this address must not be taken in: it was erased with re-import
 * blocked, or a provider erasure for it is still under way (so a registration, an import row
 * or attendance the provider reports before it forgets the person does not bring them back).
 * Takes the caller's executor, so it can run inside the transaction that would create the person.
 */
export async function isSuppressed(
  executor: Kysely<Database>,
  organizationId: string,
  email: string,
  salt?: string | null,
): Promise<boolean> {
  return (await suppressedAmong(executor, organizationId, [email], salt)).size > 0;
}

/**
 * `isSuppressed` for many addresses at once (group commit asks once per batch): the given
 * addresses, as given, that must not be taken in. Two statements whatever their number, one
 * when the caller already read the organization's salt (`salt`: null when it has none; the
 * registration path reads it with the event, `privacySaltOf`).
 */
export async function suppressedAmong(
  executor: Kysely<Database>,
  organizationId: string,
  emails: string[],
  salt?: string | null,
): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const hashSalt =
    salt !== undefined
      ? salt
      : ((
          await executor
            .selectFrom("privacy_settings")
            .select("hash_salt")
            .where("organization_id", "=", organizationId)
            .executeTakeFirst()
        )?.hash_salt ?? null);
  if (hashSalt === null) return new Set();
  // Spellings of one address share a hash.
  const hashes = new Map<string, string[]>();
  for (const email of emails) {
    const hash = hashEmail(hashSalt, email);
    hashes.set(hash, [...(hashes.get(hash) ?? []), email]);
  }
  const hashList = [...hashes.keys()];
  const rows = await executor
    .selectFrom("erasures")
    .select("email_hash as hash")
    .where("organization_id", "=", organizationId)
    .where("email_hash", "in", hashList)
    .unionAll(
      executor
        .selectFrom("provider_erasures")
        .select("pending_hash as hash")
        .where("organization_id", "=", organizationId)
        .where("pending_hash", "in", hashList),
    )
    .execute();
  const suppressed = new Set<string>();
  for (const row of rows) {
    for (const email of (row.hash !== null && hashes.get(row.hash)) || []) suppressed.add(email);
  }
  return suppressed;
}
