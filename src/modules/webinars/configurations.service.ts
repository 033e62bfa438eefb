import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { WebinarConfigurationRow } from "../../db/schema-webinars.ts";
import type { Caller } from "../../http/auth.ts";
import type { CallGate } from "../../jobs/call-gate.ts";
import type { JobQueue } from "../../jobs/queue.ts";
import type { Envelope } from "../../keys/index.ts";
import { conflict, notFound, unprocessable } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type {
  CredentialCheck,
  ProviderAccount,
  ProviderKind,
  WebinarProvider,
} from "../../providers/contract.ts";
import type { AuditWrite } from "../audit/audit.service.ts";
import { createCredentialStore } from "./credential-store.ts";
import type { OrganizerTokens } from "./organizer-tokens.ts";
import { WEBINAR_TERMS_VERSION } from "./terms.ts";

type Trx = Transaction<Database>;

export interface ConfigurationInput {
  provider: ProviderKind;
  name: string;
  settings: Record<string, string>;
  requestsPerSecond?: number | undefined;
  credentials: Record<string, string>;
}

export interface ConfigurationPatch {
  name?: string | undefined;
  settings?: Record<string, string> | undefined;
  requestsPerSecond?: number | undefined;
  credentials?: Record<string, string> | undefined;
}

/**
 * Webinar configurations: one provider account each. Credentials are write-only: sealed
 * with the envelope on the way in, opened only inside a provider-call permit, never
 * returned. Removing them (or withdrawing the terms) is the switch-off.
 */
export function createConfigurationService(deps: {
  db: Db;
  envelope: Envelope;
  gate: CallGate;
  queue: JobQueue;
  /** Adds a connected Teams organizer's delegated tokens to the account (organizer-tokens.ts). */
  organizerTokens?: Pick<OrganizerTokens, "attach">;
}) {
  const { db, gate, queue } = deps;
  const store = createCredentialStore({ envelope: deps.envelope });

  async function currentTerms(executor: Db | Trx, organizationId: string) {
    return executor
      .selectFrom("webinar_terms as t")
      .leftJoin("users as u", "u.id", "t.accepted_by")
      .select([
        "t.id",
        "t.version",
        "t.accepted_at",
        "t.withdrawn_at",
        "u.id as user_id",
        "u.name as user_name",
      ])
      .where("t.organization_id", "=", organizationId)
      .where("t.withdrawn_at", "is", null)
      .orderBy("t.accepted_at", "desc")
      .limit(1)
      .executeTakeFirst();
  }

  async function assertTermsAccepted(executor: Db | Trx, organizationId: string) {
    const terms = await currentTerms(executor, organizationId);
    if (terms?.version !== WEBINAR_TERMS_VERSION) {
      throw conflict(
        "terms_not_accepted",
        "An admin must accept the current webinar-integration terms first",
      );
    }
  }

  async function getRow(organizationId: string, id: string, executor: Db | Trx = db) {
    const row = await executor
      .selectFrom("webinar_configurations")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound("Webinar configuration");
    return row;
  }

  /** Work that waited while credentials were missing goes back to the queue. */
  async function releaseHeld(trx: Trx, configurationId: string) {
    const webinars = await trx
      .updateTable("webinars")
      .set({ state: "pending", updated_at: new Date() })
      .where("configuration_id", "=", configurationId)
      .where("state", "=", "held")
      .returning("id")
      .execute();
    await queue.sendMany(
      trx,
      "webinar.sync",
      webinars.map((w) => ({ webinarId: w.id })),
    );
    const syncs = await trx
      .updateTable("registration_syncs")
      .set({ state: "pending", updated_at: new Date() })
      .where("configuration_id", "=", configurationId)
      .where("state", "=", "held")
      .returning(["registration_id", "webinar_id"])
      .execute();
    await queue.sendMany(
      trx,
      "registration.sync",
      syncs.map((s) => ({ registrationId: s.registration_id, webinarId: s.webinar_id })),
    );
    return { webinars: webinars.length, registrations: syncs.length };
  }

  /** Deletes credentials under the exclusive permit: when this returns, no call is running or can start. */
  async function removeSecrets(
    organizationId: string,
    configurationIds: string[],
    extra?: (trx: Trx) => Promise<void>,
  ) {
    const run = () =>
      db.transaction().execute(async (trx) => {
        for (const id of configurationIds) {
          if (gate.lockInTransaction) await gate.lockInTransaction(id).execute(trx);
        }
        if (configurationIds.length > 0) {
          await store.removeAll(trx, organizationId, configurationIds);
        }
        await extra?.(trx);
      });
    // In-process gates nest exclusive sections one configuration at a time.
    const nest = (i: number): Promise<void> =>
      i === configurationIds.length
        ? run()
        : gate.exclusive(configurationIds[i] as string, () => nest(i + 1));
    await nest(0);
  }

  async function loadAccount(
    configurationId: string,
  ): Promise<{ row: WebinarConfigurationRow; account: ProviderAccount } | null> {
    const row = await db
      .selectFrom("webinar_configurations")
      .selectAll()
      .where("id", "=", configurationId)
      .executeTakeFirst();
    if (!row) return null;
    const terms = await currentTerms(db, row.organization_id);
    if (terms?.version !== WEBINAR_TERMS_VERSION) return null;
    const credentials = await store.openAll(db, row);
    if (!credentials) return null;
    const account: ProviderAccount = {
      credentials,
      settings: row.settings,
      rotating: (field, use) => store.rotating(db, row, field, use),
    };
    return { row, account: (await deps.organizerTokens?.attach(row, account)) ?? account };
  }

  async function recordHealth(configurationId: string, check: CredentialCheck, audit?: AuditWrite) {
    await db.transaction().execute(async (trx) => {
      await audit?.(trx);
      await trx
        .updateTable("webinar_configurations")
        .set({
          health_status: check.status,
          health_message: check.message.slice(0, 500),
          health_checked_at: new Date(),
        })
        .where("id", "=", configurationId)
        .execute();
    });
  }

  return {
    secretsStatus: (configurationIds: string[]) => store.status(db, configurationIds),
    currentTerms,
    /** The organization's accepted terms, outside any transaction (for answers). */
    termsOf: (organizationId: string) => currentTerms(db, organizationId),
    getRow,
    loadAccount,
    recordHealth,
    releaseHeld,

    /** Validates the stored credentials against the provider, under the switch-off permit. */
    async check(row: WebinarConfigurationRow, provider: WebinarProvider, audit?: AuditWrite) {
      await gate.withPermit(row.id, async () => {
        const loaded = await loadAccount(row.id);
        if (!loaded)
          throw conflict("no_credentials", "Set all credentials (and accept the terms) before checking");
        try {
          await recordHealth(row.id, await provider.checkCredentials(loaded.account), audit);
        } catch (error) {
          await recordHealth(
            row.id,
            { status: "unhealthy", message: error instanceof Error ? error.message : "check failed" },
            audit,
          );
        } finally {
          wipe(loaded.account);
        }
      });
    },

    async acceptTerms(caller: Caller, version: string, audit?: AuditWrite) {
      if (version !== WEBINAR_TERMS_VERSION) {
        throw unprocessable(
          "terms_version_mismatch",
          `The current terms are version ${WEBINAR_TERMS_VERSION}`,
          "version",
        );
      }
      await db.transaction().execute(async (trx) => {
        await audit?.(trx);
        const existing = await currentTerms(trx, caller.organizationId);
        if (existing?.version === version) return;
        await trx
          .insertInto("webinar_terms")
          .values({
            id: uuidv7(),
            organization_id: caller.organizationId,
            version,
            accepted_by: caller.userId,
          })
          .execute();
        const configs = await trx
          .selectFrom("webinar_configurations")
          .selectAll()
          .where("organization_id", "=", caller.organizationId)
          .execute();
        for (const c of configs) if (await store.isComplete(trx, c)) await releaseHeld(trx, c.id);
      });
    },

    /** Withdrawing the terms is a switch-off of every configuration of the organization. */
    async withdrawTerms(caller: Caller, audit?: AuditWrite) {
      const ids = (
        await db
          .selectFrom("webinar_configurations")
          .select("id")
          .where("organization_id", "=", caller.organizationId)
          .execute()
      ).map((r) => r.id);
      await removeSecrets(caller.organizationId, ids, async (trx) => {
        await audit?.(trx);
        await trx
          .updateTable("webinar_terms")
          .set({ withdrawn_at: new Date(), withdrawn_by: caller.userId })
          .where("organization_id", "=", caller.organizationId)
          .where("withdrawn_at", "is", null)
          .execute();
      });
    },

    async list(organizationId: string) {
      return db
        .selectFrom("webinar_configurations")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .orderBy("id")
        .execute();
    },

    async create(caller: Caller, input: ConfigurationInput, audit?: AuditWrite) {
      return db.transaction().execute(async (trx) => {
        await assertTermsAccepted(trx, caller.organizationId);
        const row = await trx
          .insertInto("webinar_configurations")
          .values({
            id: uuidv7(),
            organization_id: caller.organizationId,
            provider: input.provider,
            name: input.name,
            settings: JSON.stringify(input.settings),
            ...(input.requestsPerSecond !== undefined && { requests_per_second: input.requestsPerSecond }),
            updated_at: new Date(),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await store.seal(trx, row, input.credentials, caller.userId);
        await audit?.(trx, row.id);
        return row;
      });
    },

    async update(caller: Caller, id: string, patch: ConfigurationPatch, audit?: AuditWrite) {
      return db.transaction().execute(async (trx) => {
        const current = await getRow(caller.organizationId, id, trx);
        if (patch.credentials && Object.keys(patch.credentials).length > 0) {
          await assertTermsAccepted(trx, caller.organizationId);
          await store.seal(trx, current, patch.credentials, caller.userId);
        }
        const row = await trx
          .updateTable("webinar_configurations")
          .set({
            ...(patch.name !== undefined && { name: patch.name }),
            ...(patch.settings !== undefined && { settings: JSON.stringify(patch.settings) }),
            ...(patch.requestsPerSecond !== undefined && { requests_per_second: patch.requestsPerSecond }),
            ...(patch.credentials && {
              health_status: "unchecked" as const,
              health_message: null,
              health_checked_at: null,
            }),
            updated_at: new Date(),
          })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (patch.credentials && (await store.isComplete(trx, row))) await releaseHeld(trx, id);
        await audit?.(trx);
        return row;
      });
    },

    async removeCredentials(caller: Caller, id: string, audit?: AuditWrite) {
      await getRow(caller.organizationId, id);
      await removeSecrets(caller.organizationId, [id], async (trx) => {
        await audit?.(trx);
        await trx
          .updateTable("webinar_configurations")
          .set({
            health_status: "unchecked",
            health_message: "Credentials removed",
            health_checked_at: null,
            updated_at: new Date(),
          })
          .where("id", "=", id)
          .execute();
      });
    },

    async remove(caller: Caller, id: string, audit?: AuditWrite) {
      await getRow(caller.organizationId, id);
      const used = await db
        .selectFrom("webinars")
        .select("id")
        .where("configuration_id", "=", id)
        .where("state", "<>", "deleted")
        .limit(1)
        .executeTakeFirst();
      if (used)
        throw conflict(
          "configuration_in_use",
          "Webinars still use this configuration; remove its credentials to switch it off",
        );
      await removeSecrets(caller.organizationId, [id], async (trx) => {
        await trx.deleteFrom("webinar_configurations").where("id", "=", id).execute();
        await audit?.(trx);
      });
    },
  };
}

export type ConfigurationService = ReturnType<typeof createConfigurationService>;

/** Zeroes decrypted credentials once a call no longer needs them. */
export function wipe(account: ProviderAccount | undefined) {
  if (!account) return;
  for (const value of Object.values(account.credentials)) value.fill(0);
}
