import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { WebinarConfigurationRow } from "../../db/schema-webinars.ts";
import type { Envelope } from "../../keys/index.ts";
import { organizerRefreshTokenContext } from "../../keys/sealed-columns.ts";
import { type ProviderAccount, ProviderError } from "../../providers/contract.ts";
import { requestPacing } from "../../providers/http.ts";
import type { DelegatedTokens, OrganizerConsent } from "../../providers/teams/organizer-consent.ts";

/** Ask for a new access token this long before the old one's stated expiry. */
const REFRESH_MARGIN_MS = 5 * 60_000;

interface Cached {
  token: string;
  refreshAt: number;
}

/**
 * The connected Teams organizer's access tokens. Access tokens live in this process's memory
 * only; the refresh token lives sealed in `organizer_grants` and is the only thing a restart
 * needs. A refresh locks the grant row, redeems the refresh token and stores the new (rotated)
 * one in that same transaction, so two workers — or two processes — never redeem the same
 * refresh token, and a token Microsoft has just replaced is never the one kept.
 */
export function createOrganizerTokens(deps: { db: Db; envelope: Envelope; consent: OrganizerConsent }) {
  const { db, envelope, consent } = deps;
  const cache = new Map<string, Cached>();
  const inflight = new Map<string, Promise<string>>();

  function remember(configurationId: string, tokens: Pick<DelegatedTokens, "accessToken" | "expiresInS">) {
    const lifetime = tokens.expiresInS * 1000;
    const margin = Math.min(REFRESH_MARGIN_MS, lifetime / 2);
    cache.set(configurationId, { token: tokens.accessToken, refreshAt: Date.now() + lifetime - margin });
  }

  async function refresh(row: WebinarConfigurationRow, account: ProviderAccount): Promise<string> {
    const tokens = await db.transaction().execute(async (trx) => {
      const grant = await trx
        .selectFrom("organizer_grants")
        .select(["organization_id", "configuration_id", "refresh_token"])
        .where("configuration_id", "=", row.id)
        .forUpdate()
        .executeTakeFirst();
      if (!grant) throw new ProviderError("auth", "The Teams organizer was disconnected; connect one again");
      const context = organizerRefreshTokenContext(grant);
      const current = await envelope.open(grant.refresh_token, context);
      let fresh: DelegatedTokens;
      try {
        // Not paced by the account's Graph rate (the sign-in service is not Graph), and pacing
        // may wait on the database, which this transaction holds on the embedded one.
        fresh = await requestPacing.exit(() => consent.redeemRefreshToken(account, current.toString("utf8")));
      } finally {
        current.fill(0);
      }
      const plaintext = Buffer.from(fresh.refreshToken, "utf8");
      const record = JSON.stringify(await envelope.seal(plaintext, context));
      plaintext.fill(0);
      await trx
        .updateTable("organizer_grants")
        .set({
          refresh_token: record,
          scope: fresh.scope,
          rotated_at: new Date(),
          rotations: sql`rotations + 1`,
        })
        .where("configuration_id", "=", row.id)
        .execute();
      return fresh;
    });
    remember(row.id, tokens);
    return tokens.accessToken;
  }

  async function accessToken(row: WebinarConfigurationRow, account: ProviderAccount, rejected?: string) {
    const hit = cache.get(row.id);
    if (hit && hit.token !== rejected && hit.refreshAt > Date.now()) return hit.token;
    if (hit && hit.token === rejected) cache.delete(row.id);
    const running = inflight.get(row.id);
    if (running) return running;
    const p = refresh(row, account).finally(() => inflight.delete(row.id));
    inflight.set(row.id, p);
    return p;
  }

  return {
    /**
     * The account as a Teams call needs it: with a connected organizer, the organizer's id
     * (from the consent, not the settings) and a source of delegated tokens.
     */
    async attach(row: WebinarConfigurationRow, account: ProviderAccount): Promise<ProviderAccount> {
      if (row.provider !== "teams") return account;
      const grant = await db
        .selectFrom("organizer_grants")
        .select("organizer_user_id")
        .where("configuration_id", "=", row.id)
        .executeTakeFirst();
      if (!grant) return account;
      return {
        ...account,
        settings: { ...account.settings, organizerUserId: grant.organizer_user_id },
        delegatedToken: (options) => accessToken(row, account, options?.rejected),
      };
    },
    /** The access token a consent just returned: the first call after connecting needs no refresh. */
    remember,
    forget(configurationId: string) {
      cache.delete(configurationId);
    },
  };
}

export type OrganizerTokens = ReturnType<typeof createOrganizerTokens>;
