import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { WebinarConfigurationRow } from "../../db/schema-webinars.ts";
import type { Envelope } from "../../keys/index.ts";
import { credentialContext } from "../../keys/sealed-columns.ts";
import { unprocessable } from "../../lib/errors.ts";
import { ProviderError, type ProviderKind, type RotatedUse } from "../../providers/contract.ts";
import { requestPacing } from "../../providers/http.ts";
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

  /** Reads the stored value under a row lock, uses it, and stores the replacement, in one transaction. */
  async function rotateLocked<T>(
    db: Db,
    row: WebinarConfigurationRow,
    field: string,
    use: (current: string) => Promise<RotatedUse<T>>,
  ): Promise<T> {
    return db.transaction().execute(async (trx) => {
      const secret = await trx
        .selectFrom("webinar_secrets")
        .select("record")
        .where("configuration_id", "=", row.id)
        .where("field", "=", field)
        .forUpdate()
        .executeTakeFirst();
      if (!secret) throw new ProviderError("auth", `The credential ${field} was removed`);
      const stored = await envelope.open(secret.record, contextOf(row, field));
      let used: RotatedUse<T>;
      try {
        used = await use(stored.toString("utf8"));
      } finally {
        stored.fill(0);
      }
      if (used.replacement) {
        const plaintext = Buffer.from(used.replacement, "utf8");
        const record = JSON.stringify(await envelope.seal(plaintext, contextOf(row, field)));
        plaintext.fill(0);
        // set_by stays: the person who connected the account; set_at shows the rotation.
        await trx
          .updateTable("webinar_secrets")
          .set({ record, set_at: new Date() })
          .where("configuration_id", "=", row.id)
          .where("field", "=", field)
          .execute();
      }
      return used.result;
    });
  }

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

    /**
     * A credential the provider replaces as it is used (ProviderAccount.rotating): the stored
     * value is read under a row lock, handed to `use`, and the replacement `use` returns is
     * sealed and stored in that same transaction. A second process waits for the lock and
     * then reads the replacement, so no two processes spend one token, and the replacement
     * survives a restart. On the embedded database, other statements wait for the exchange
     * (one request, at most hourly per account, bounded by the provider timeout).
     */
    async rotating<T>(
      db: Db,
      row: WebinarConfigurationRow,
      field: string,
      use: (current: string) => Promise<RotatedUse<T>>,
    ): Promise<T> {
      // The request inside `use` takes its slot of the shared rate limiter now, before the lock,
      // and runs unpaced inside it: the limiter's own statement would otherwise wait behind this
      // transaction, forever on the embedded database (one connection).
      await requestPacing.getStore()?.();
      return requestPacing.exit(() => rotateLocked(db, row, field, use));
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
