import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { WebinarConfigurationRow } from "../../db/schema-webinars.ts";
import type { Envelope } from "../../keys/index.ts";
import { credentialContext } from "../../keys/sealed-columns.ts";
import { unprocessable } from "../../lib/errors.ts";
import type { ProviderKind } from "../../providers/contract.ts";
import { credentialFieldsOf } from "./provider-settings.ts";

type Trx = Transaction<Database>;

/**
 * The sealed credentials of webinar configurations: one envelope record per field, bound
 * to its organization, configuration and field. Plaintext exists only as Buffers handed to
 * a provider call (and zeroed after it) — never returned by the API, never logged.
 */
export function createCredentialStore(deps: { envelope: Envelope }) {
  const { envelope } = deps;
  const contextOf = (row: WebinarConfigurationRow, field: string) =>
    credentialContext({ organization_id: row.organization_id, configuration_id: row.id, field });

  return {
    async seal(trx: Trx, row: WebinarConfigurationRow, credentials: Record<string, string>, userId: string) {
      const allowed = new Set(credentialFieldsOf(row.provider as ProviderKind));
      for (const [field, value] of Object.entries(credentials)) {
        if (!allowed.has(field)) {
          throw unprocessable(
            "unknown_credential",
            `${field} is not a credential of ${row.provider}`,
            `credentials.${field}`,
          );
        }
        const plaintext = Buffer.from(value, "utf8");
        const record = JSON.stringify(await envelope.seal(plaintext, contextOf(row, field)));
        plaintext.fill(0);
        await trx
          .insertInto("webinar_secrets")
          .values({
            configuration_id: row.id,
            organization_id: row.organization_id,
            field,
            record,
            set_by: userId,
          })
          .onConflict((oc) =>
            oc
              .columns(["configuration_id", "field"])
              .doUpdateSet({ record, set_by: userId, set_at: new Date() }),
          )
          .execute();
      }
    },

    async isComplete(executor: Db | Trx, row: WebinarConfigurationRow) {
      const set = await executor
        .selectFrom("webinar_secrets")
        .select("field")
        .where("configuration_id", "=", row.id)
        .execute();
      return credentialFieldsOf(row.provider as ProviderKind).every((f) => set.some((s) => s.field === f));
    },

    /** Every credential decrypted, or null when any is missing (the configuration is switched off). */
    async openAll(executor: Db | Trx, row: WebinarConfigurationRow): Promise<Record<string, Buffer> | null> {
      const secrets = await executor
        .selectFrom("webinar_secrets")
        .select(["field", "record"])
        .where("configuration_id", "=", row.id)
        .execute();
      const fields = credentialFieldsOf(row.provider as ProviderKind);
      if (!fields.every((f) => secrets.some((s) => s.field === f))) return null;
      const credentials: Record<string, Buffer> = {};
      for (const s of secrets) credentials[s.field] = await envelope.open(s.record, contextOf(row, s.field));
      return credentials;
    },

    async removeAll(trx: Trx, organizationId: string, configurationIds: string[]) {
      await trx
        .deleteFrom("webinar_secrets")
        .where("organization_id", "=", organizationId)
        .where("configuration_id", "in", configurationIds)
        .execute();
    },

    /** Which fields are set, when and by whom — what the API may show. */
    async status(executor: Db | Trx, configurationIds: string[]) {
      if (configurationIds.length === 0) return [];
      return executor
        .selectFrom("webinar_secrets as s")
        .leftJoin("users as u", "u.id", "s.set_by")
        .select(["s.configuration_id", "s.field", "s.set_at", "u.id as user_id", "u.name as user_name"])
        .where("s.configuration_id", "in", configurationIds)
        .execute();
    },
  };
}
