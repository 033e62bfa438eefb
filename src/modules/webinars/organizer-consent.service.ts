import { timingSafeEqual } from "node:crypto";
import type { Db } from "../../db/database.ts";
import type { Caller } from "../../http/auth.ts";
import { roleAtLeast } from "../../http/auth.ts";
import type { Envelope } from "../../keys/index.ts";
import { consentVerifierContext, organizerRefreshTokenContext } from "../../keys/sealed-columns.ts";
import { AppError, conflict, forbidden } from "../../lib/errors.ts";
import { hashToken, newSecretToken, uuidv7 } from "../../lib/ids.ts";
import { ProviderError } from "../../providers/contract.ts";
import { type OrganizerConsent, pkcePair } from "../../providers/teams/organizer-consent.ts";
import type { AuditService, AuditWrite } from "../audit/audit.service.ts";
import { type ConfigurationService, wipe } from "./configurations.service.ts";
import type { OrganizerTokens } from "./organizer-tokens.ts";

/** How long the admin has to sign in and consent at Microsoft. */
export const CONSENT_TTL_MS = 10 * 60_000;
/** Where Microsoft sends the browser back (registered as a redirect URI of the Entra app). */
export const CONSENT_CALLBACK_PATH = "/api/v1/auth/microsoft-organizer/callback";

/** Microsoft did not answer usefully: the request is used up, the admin starts again later. */
const unavailable = (err: unknown) =>
  err instanceof ProviderError
    ? new AppError(502, "microsoft_unavailable", `${err.message}; connect the organizer again`)
    : err;

const stateError = (code: string, message: string) => new AppError(400, code, message, { field: "state" });

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The Teams organizer's consent (docs/providers/teams.md, "Organizer consent"). `start` keeps
 * the `state` (hashed), a browser-binding nonce (hashed; its cookie goes to the admin's browser)
 * and the PKCE verifier (sealed) with a short expiry, bound to the admin's sign-in session and
 * organization. `complete` takes the callback: the state must be known, unexpired and unused,
 * the binding cookie must match, the sign-in session must still be an admin's of that
 * organization; it is then used up (a replay is refused) before the code is exchanged. The
 * refresh token is stored sealed with the audit entry in one transaction.
 */
export function createOrganizerConsentService(deps: {
  db: Db;
  envelope: Envelope;
  configurations: Pick<ConfigurationService, "getRow" | "loadAccount" | "releaseHeld">;
  consent: OrganizerConsent;
  tokens: Pick<OrganizerTokens, "remember" | "forget">;
  audit: Pick<AuditService, "record">;
  publicUrl: string;
}) {
  const { db, envelope, configurations, consent, tokens, audit } = deps;
  const redirectUri = `${deps.publicUrl}${CONSENT_CALLBACK_PATH}`;

  async function teamsAccountOf(configurationId: string) {
    const loaded = await configurations.loadAccount(configurationId);
    if (!loaded)
      throw conflict("no_credentials", "Set the app's credentials (and accept the terms) before connecting");
    return loaded;
  }

  return {
    redirectUri,

    /** Begins a consent: the URL to send the admin's browser to, and the binding cookie's value. */
    async start(caller: Caller, configurationId: string, auditWrite?: AuditWrite) {
      if (caller.via !== "session" || !caller.sessionHash)
        throw forbidden("Connecting an organizer needs a signed-in admin in a browser");
      const row = await configurations.getRow(caller.organizationId, configurationId);
      if (row.provider !== "teams")
        throw conflict("not_teams", "Only Microsoft Teams configurations connect an organizer");
      const loaded = await teamsAccountOf(row.id);
      const state = newSecretToken();
      const binding = newSecretToken();
      const pkce = pkcePair();
      try {
        const id = uuidv7();
        await db.transaction().execute(async (trx) => {
          // Expired requests are of no use to anyone (a late callback is refused as unknown).
          await trx.deleteFrom("organizer_consent_requests").where("expires_at", "<", new Date()).execute();
          const verifier = Buffer.from(pkce.verifier, "utf8");
          const sealed = await envelope.seal(
            verifier,
            consentVerifierContext({ id, organization_id: row.organization_id, configuration_id: row.id }),
          );
          verifier.fill(0);
          await trx
            .insertInto("organizer_consent_requests")
            .values({
              id,
              state_hash: hashToken(state),
              binding_hash: hashToken(binding),
              organization_id: row.organization_id,
              configuration_id: row.id,
              user_id: caller.userId,
              session_hash: caller.sessionHash as string,
              code_verifier: JSON.stringify(sealed),
              redirect_uri: redirectUri,
              expires_at: new Date(Date.now() + CONSENT_TTL_MS),
            })
            .execute();
          await auditWrite?.(trx);
        });
        const authorizeUrl = consent.authorizeUrl(loaded.account, {
          redirectUri,
          state,
          codeChallenge: pkce.challenge,
        });
        return { authorizeUrl, binding, expiresInSeconds: CONSENT_TTL_MS / 1000 };
      } finally {
        wipe(loaded.account);
      }
    },

    /**
     * The callback. Answers the configuration id once the organizer is connected; throws 400
     * (field `state`) for an unknown, expired, used or foreign state, 403 when the session that
     * started it is gone or no longer an admin's, and 400 (field `code`) when Microsoft refuses
     * the code (a wrong verifier: `invalid_grant`).
     */
    async complete(input: {
      state: string;
      code?: string | undefined;
      error?: string | undefined;
      binding: string | undefined;
      requestId: string;
    }): Promise<{ configurationId: string; outcome: "connected" | "declined" }> {
      const request = await db
        .selectFrom("organizer_consent_requests")
        .selectAll()
        .where("state_hash", "=", hashToken(input.state))
        .executeTakeFirst();
      if (!request)
        throw stateError("consent_state_unknown", "This consent was not started here or has expired");
      if (request.used_at)
        throw stateError("consent_state_used", "This consent was already used; start again");
      if (request.expires_at.getTime() <= Date.now())
        throw stateError("consent_state_expired", "This consent expired; start again");
      if (!input.binding || !sameHash(hashToken(input.binding), request.binding_hash))
        throw stateError("consent_browser_mismatch", "This consent was started in another browser");
      const session = await db
        .selectFrom("user_sessions as s")
        .innerJoin("memberships as m", (j) =>
          j.onRef("m.user_id", "=", "s.user_id").onRef("m.organization_id", "=", "s.organization_id"),
        )
        .select(["m.role"])
        .where("s.token_hash", "=", request.session_hash)
        .where("s.user_id", "=", request.user_id)
        .where("s.organization_id", "=", request.organization_id)
        .where("s.expires_at", ">", new Date())
        .executeTakeFirst();
      if (!session || !roleAtLeast(session.role, "admin"))
        throw forbidden("The sign-in that started this consent ended or is no longer an admin's");

      // Used up before anything else happens: a replay racing this one finds it taken.
      const claimed = await db
        .updateTable("organizer_consent_requests")
        .set({ used_at: new Date(), code_verifier: null })
        .where("id", "=", request.id)
        .where("used_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      if (!claimed) throw stateError("consent_state_used", "This consent was already used; start again");
      if (input.error || !input.code)
        return { configurationId: request.configuration_id, outcome: "declined" };

      const verifier = await envelope.open(request.code_verifier, consentVerifierContext(request));
      const loaded = await teamsAccountOf(request.configuration_id);
      try {
        let granted: Awaited<ReturnType<OrganizerConsent["redeemCode"]>>;
        try {
          granted = await consent.redeemCode(loaded.account, {
            code: input.code,
            codeVerifier: verifier.toString("utf8"),
            redirectUri: request.redirect_uri,
          });
        } catch (err) {
          if (err instanceof ProviderError && err.kind !== "transient" && err.kind !== "rate_limited")
            throw new AppError(400, "consent_code_refused", err.message, { field: "code" });
          throw unavailable(err);
        } finally {
          verifier.fill(0);
        }
        const organizer = await consent.signedInOrganizer(granted.accessToken).catch((err) => {
          throw unavailable(err);
        });
        const context = organizerRefreshTokenContext({
          organization_id: request.organization_id,
          configuration_id: request.configuration_id,
        });
        const plaintext = Buffer.from(granted.refreshToken, "utf8");
        const record = JSON.stringify(await envelope.seal(plaintext, context));
        plaintext.fill(0);
        await db.transaction().execute(async (trx) => {
          const values = {
            refresh_token: record,
            organizer_user_id: organizer.id,
            organizer_name: organizer.displayName?.slice(0, 200) ?? null,
            scope: granted.scope.slice(0, 2000),
            connected_by: request.user_id,
            connected_at: new Date(),
            rotated_at: new Date(),
            rotations: 0,
          };
          await trx
            .insertInto("organizer_grants")
            .values({
              configuration_id: request.configuration_id,
              organization_id: request.organization_id,
              ...values,
            })
            .onConflict((oc) => oc.column("configuration_id").doUpdateSet(values))
            .execute();
          await trx
            .updateTable("webinar_configurations")
            .set({
              health_status: "unchecked",
              health_message: null,
              health_checked_at: null,
              updated_at: new Date(),
            })
            .where("id", "=", request.configuration_id)
            .execute();
          // Work held because the organizer's consent had expired moves again.
          await configurations.releaseHeld(trx, request.configuration_id);
          await audit.record(trx, {
            organizationId: request.organization_id,
            actor: { kind: "user", userId: request.user_id },
            action: "webinar_configuration.organizer_connected",
            targetId: request.configuration_id,
            details: { provider: "teams", fields: ["organizer"] },
            requestId: input.requestId,
          });
        });
        tokens.remember(request.configuration_id, granted);
        return { configurationId: request.configuration_id, outcome: "connected" };
      } finally {
        wipe(loaded.account);
      }
    },

    /** The connected organizer, for answers: who, since when — never a token. */
    async organizerOf(configurationIds: string[]) {
      if (configurationIds.length === 0) return [];
      return db
        .selectFrom("organizer_grants")
        .select(["configuration_id", "organizer_user_id", "organizer_name", "connected_at", "rotated_at"])
        .where("configuration_id", "in", configurationIds)
        .execute();
    },

    /** Forgets the organizer: Teams writes go app-only again (which real Graph refuses). */
    async disconnect(caller: Caller, configurationId: string, auditWrite?: AuditWrite) {
      await configurations.getRow(caller.organizationId, configurationId);
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("organizer_grants").where("configuration_id", "=", configurationId).execute();
        await auditWrite?.(trx);
      });
      tokens.forget(configurationId);
    },
  };
}

export type OrganizerConsentService = ReturnType<typeof createOrganizerConsentService>;
