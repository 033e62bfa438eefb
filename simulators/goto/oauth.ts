// The token endpoint (authentication.logmeininc.com/oauth/token): Basic clientId:clientSecret,
// form body, grant_type=refresh_token. Answers as GoTo's "How to obtain and use refresh tokens"
// guide shows; errors in RFC 6749 §5.2 form.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { oauthError } from "./errors.ts";
import type { Result } from "./pipeline.ts";
import type { GotoSimState } from "./state.ts";

function basicAuth(req: IncomingMessage): { id: string; secret: string } | null {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  return i < 0 ? null : { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

export function tokenEndpoint(state: GotoSimState, req: IncomingMessage, raw: string): Result {
  state.countRequest("POST /oauth/token");
  const client = basicAuth(req);
  const account = client ? state.accountByClient(client.id) : undefined;
  if (!client || !account || account.clientSecret !== client.secret)
    throw oauthError(401, "invalid_client", "Bad client credentials");
  if (!/^application\/x-www-form-urlencoded/i.test(req.headers["content-type"] ?? ""))
    throw oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  const form = new URLSearchParams(raw);
  if (form.get("grant_type") !== "refresh_token")
    throw oauthError(400, "unsupported_grant_type", "Only the refresh_token grant is simulated");
  const refresh = form.get("refresh_token") ?? "";
  if (!account.refreshTokens.has(refresh)) throw oauthError(400, "invalid_grant", "Invalid refresh token");
  if (account.refreshExpired) throw oauthError(400, "invalid_grant", "Refresh token expired");
  const access = state.issueAccessToken(account);
  let newRefresh: string | undefined;
  if (state.knobs.rotateRefreshTokens) {
    newRefresh = `sim-rt-${randomBytes(24).toString("base64url")}`;
    account.refreshTokens = new Set([newRefresh]);
  }
  return {
    body: {
      access_token: access.token,
      token_type: "Bearer",
      ...(newRefresh && { refresh_token: newRefresh }),
      expires_in: state.knobs.accessTokenTtlSeconds,
      scope: "collab:",
      principal: account.organizerEmail,
      ...(state.knobs.tokenCarriesOrganizerKey && {
        organizer_key: account.organizerKey,
        account_key: account.accountKey,
      }),
    },
  };
}
