/**
 * The organizer's delegated consent at the Microsoft identity platform: OAuth 2.0 authorization
 * code with PKCE (S256) for a confidential client (the app's secret goes with the code), then
 * refresh tokens. Graph creates, publishes, updates and cancels webinars only on behalf of a
 * signed-in organizer ("Application: Not supported"), so these calls need the organizer's token.
 *
 * Stateless: the caller (the webinars module) keeps the state, the verifier and the refresh
 * token, sealed, and stores each rotated refresh token in the transaction that redeemed it.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { type ProviderAccount, ProviderError } from "../contract.ts";
import { fetchWithDeadline } from "../http.ts";
import { describeRefusal, type IdentityOptions, type IdentityRefusal, requestToken } from "./identity.ts";

/** What the organizer consents to: a refresh token, their own profile, and virtual events. */
export const ORGANIZER_SCOPES = "offline_access User.Read VirtualEvent.ReadWrite";

/** The delegated token answer; `refresh_token` is there because `offline_access` was asked for. */
const delegatedTokenResponse = z.looseObject({
  token_type: z.string(),
  expires_in: z.coerce.number().int().positive(),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).max(8192),
  scope: z.string().max(2000).default(ORGANIZER_SCOPES),
});

const signedInUser = z.looseObject({
  id: z.string().min(1).max(200),
  displayName: z.string().max(256).nullish(),
});

export interface DelegatedTokens {
  accessToken: string;
  expiresInS: number;
  /** The new refresh token: Microsoft may rotate it on every use, so it replaces the stored one. */
  refreshToken: string;
  scope: string;
}

export interface OrganizerIdentity {
  id: string;
  displayName: string | null;
}

/** A PKCE pair: a 43-character verifier (32 random bytes) and its S256 challenge (RFC 7636). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

interface TeamsApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** The tenant and the app of a Teams account (the organizer comes from the consent). */
export function teamsApp(account: ProviderAccount): TeamsApp {
  const tenantId = account.settings.tenantId?.trim();
  const clientId = account.credentials.clientId?.toString("utf8").trim();
  const clientSecret = account.credentials.clientSecret?.toString("utf8").trim();
  if (!tenantId) throw new ProviderError("invalid", 'Teams setting "tenantId" is missing');
  if (!clientId || !clientSecret) throw new ProviderError("auth", "Teams app credentials are missing");
  return { tenantId, clientId, clientSecret };
}

export function createOrganizerConsent(options: IdentityOptions & { graphUrl: string }) {
  const base = options.loginUrl.replace(/\/+$/, "");

  function grant(
    app: TeamsApp,
    form: Record<string, string>,
    refused: (r: IdentityRefusal) => ProviderError,
  ) {
    return requestToken(
      options,
      app.tenantId,
      { client_id: app.clientId, client_secret: app.clientSecret, scope: ORGANIZER_SCOPES, ...form },
      delegatedTokenResponse,
      refused,
    ).then(
      (b): DelegatedTokens => ({
        accessToken: b.access_token,
        expiresInS: b.expires_in,
        refreshToken: b.refresh_token,
        scope: b.scope,
      }),
    );
  }

  return {
    scopes: ORGANIZER_SCOPES,

    /** Where the admin's browser goes to sign in as the organizer and consent. */
    authorizeUrl(
      account: ProviderAccount,
      request: { redirectUri: string; state: string; codeChallenge: string },
    ): string {
      const app = teamsApp(account);
      const query = new URLSearchParams({
        client_id: app.clientId,
        response_type: "code",
        redirect_uri: request.redirectUri,
        response_mode: "query",
        scope: ORGANIZER_SCOPES,
        state: request.state,
        code_challenge: request.codeChallenge,
        code_challenge_method: "S256",
        // The admin may be signed in to Microsoft as someone else: let them pick the organizer.
        prompt: "select_account",
      });
      return `${base}/${encodeURIComponent(app.tenantId)}/oauth2/v2.0/authorize?${query}`;
    },

    /** Redeems the code with the verifier. A refusal is `invalid`: the consent must start again. */
    redeemCode(
      account: ProviderAccount,
      request: { code: string; codeVerifier: string; redirectUri: string },
    ): Promise<DelegatedTokens> {
      return grant(
        teamsApp(account),
        {
          grant_type: "authorization_code",
          code: request.code,
          redirect_uri: request.redirectUri,
          code_verifier: request.codeVerifier,
        },
        (r) =>
          new ProviderError(
            r.error === "invalid_client" ? "auth" : "invalid",
            `Microsoft sign-in refused the authorization code: ${describeRefusal(r)}`,
            { status: r.status },
          ),
      );
    },

    /**
     * A new access token (and refresh token) for the organizer. `invalid_grant` means the
     * consent expired, was revoked or the refresh token was already used: `token_expired`, an
     * admin must connect the organizer again.
     */
    redeemRefreshToken(account: ProviderAccount, refreshToken: string): Promise<DelegatedTokens> {
      return grant(
        teamsApp(account),
        { grant_type: "refresh_token", refresh_token: refreshToken },
        (r) =>
          new ProviderError(
            r.error === "invalid_grant" || r.error === "interaction_required" ? "token_expired" : "auth",
            `Microsoft sign-in refused the organizer's refresh token: ${describeRefusal(r)}; connect the organizer again`,
            { status: r.status },
          ),
      );
    },

    /** Who signed in: Graph `GET /me` with the delegated token. */
    async signedInOrganizer(accessToken: string): Promise<OrganizerIdentity> {
      const outcome = await fetchWithDeadline(`${options.graphUrl.replace(/\/+$/, "")}/me`, {
        method: "GET",
        headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" },
        timeoutMs: options.timeoutMs,
        fetch: options.fetch,
      });
      if (!outcome.ok) throw new ProviderError("transient", "Microsoft Graph /me failed before an answer");
      const res = outcome.response;
      if (res.status !== 200) {
        throw new ProviderError(
          res.status >= 500 ? "transient" : "auth",
          `Microsoft Graph /me failed with HTTP ${res.status}`,
          {
            status: res.status,
          },
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(res.text);
      } catch {
        json = undefined;
      }
      const me = signedInUser.safeParse(json);
      if (!me.success)
        throw new ProviderError("transient", "Microsoft Graph /me answered an unexpected shape");
      return { id: me.data.id, displayName: me.data.displayName ?? null };
    },
  };
}

export type OrganizerConsent = ReturnType<typeof createOrganizerConsent>;
