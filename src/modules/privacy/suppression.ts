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
): Promise<boolean> {
  const settings = await executor
    .selectFrom("privacy_settings")
    .select("hash_salt")
    .where("organization_id", "=", organizationId)
    .executeTakeFirst();
  if (!settings) return false;
  const hash = hashEmail(settings.hash_salt, email);
  const blocked = await executor
    .selectFrom("erasures")
    .select("id")
    .where("organization_id", "=", organizationId)
    .where("email_hash", "=", hash)
    .executeTakeFirst();
  if (blocked) return true;
  const pending = await executor
    .selectFrom("provider_erasures")
    .select("id")
    .where("organization_id", "=", organizationId)
    .where("pending_hash", "=", hash)
    .executeTakeFirst();
  return pending !== undefined;
}
