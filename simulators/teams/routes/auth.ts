// Microsoft identity platform token endpoint: client credentials
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow), and the
// authorization code (with PKCE) and refresh token grants of the auth code flow
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow). Errors use the
// identity platform's own envelope `{error, error_description, error_codes, timestamp, trace_id,
// correlation_id, error_uri}`.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TeamsSimState } from "../state.ts";
import type { AppConfig } from "../types.ts";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

export function aadError(status: number, error: string, code: number, description: string) {
  const traceId = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString().replace("T", " ").replace(/\..*$/, "Z"),
      trace_id: traceId,
      correlation_id: randomUUID(),
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

type Answer = { status: number; body: unknown };

const sameText = (a: string, b: string) => {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
};

/** RFC 7636: S256 = BASE64URL(SHA256(verifier)); plain = the verifier itself. */
export function challengeOf(verifier: string, method: "S256" | "plain"): string {
  return method === "plain" ? verifier : createHash("sha256").update(verifier).digest("base64url");
}

function delegatedAnswer(
  state: TeamsSimState,
  tenantId: string,
  app: AppConfig,
  userId: string,
  scope: string,
) {
  const { token, expiresIn } = state.issueToken(tenantId, app.clientId, userId);
  const refreshToken = state.issueRefreshToken({
    tenantId: tenantId.toLowerCase(),
    clientId: app.clientId,
    scope,
    userId,
  });
  return {
    status: 200,
    body: {
      token_type: "Bearer",
      scope,
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
      refresh_token: refreshToken,
    },
  };
}

function authorizationCodeGrant(
  state: TeamsSimState,
  tenantId: string,
  app: AppConfig,
  form: Record<string, string>,
): Answer {
  const code = state.authCodes.get(form.code ?? "");
  if (!code || code.tenantId !== tenantId.toLowerCase() || code.clientId !== app.clientId) {
    return aadError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
  }
  if (code.redeemed) {
    return aadError(
      400,
      "invalid_grant",
      54005,
      "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    );
  }
  if (code.expiresAt <= Date.now()) {
    return aadError(
      400,
      "invalid_grant",
      70008,
      "The provided authorization code or refresh token has expired due to inactivity.",
    );
  }
  if (form.redirect_uri !== code.redirectUri) {
    return aadError(
      400,
      "invalid_grant",
      70002,
      "The reply URL specified in the request does not match the reply URL used when acquiring the authorization code.",
    );
  }
  if (code.codeChallenge !== null) {
    const verifier = form.code_verifier ?? "";
    if (!verifier || !sameText(challengeOf(verifier, code.codeChallengeMethod), code.codeChallenge)) {
      return aadError(
        400,
        "invalid_grant",
        50148,
        "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
      );
    }
  }
  // Single use: a second redemption is AADSTS54005. A refused one (above) leaves the code as it
  // was; it expires within minutes anyway.
  code.redeemed = true;
  return delegatedAnswer(state, tenantId, app, code.userId, code.scope);
}

function refreshTokenGrant(
  state: TeamsSimState,
  tenantId: string,
  app: AppConfig,
  form: Record<string, string>,
): Answer {
  const grant = state.refreshTokens.get(form.refresh_token ?? "");
  if (!grant || grant.tenantId !== tenantId.toLowerCase() || grant.clientId !== app.clientId) {
    return aadError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
  }
  if (grant.used) {
    // Rotation: each refresh token is good for one redemption here (stricter than Entra, which
    // keeps an old refresh token valid until it expires; see the README).
    return aadError(
      400,
      "invalid_grant",
      70000,
      "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
    );
  }
  grant.used = true;
  return delegatedAnswer(state, tenantId, app, grant.userId, grant.scope);
}

export function tokenRoutes(app: FastifyInstance, state: TeamsSimState): void {
  app.post("/:tenantId/oauth2/v2.0/token", async (req, reply) => {
    state.requestCount++;
    if (state.knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, state.knobs.latencyMs));
    const { tenantId = "" } = req.params as { tenantId?: string };
    const form = (req.body ?? {}) as Record<string, string>;
    const grantType = form.grant_type ?? "";
    const out: Answer = (() => {
      if (!["client_credentials", "authorization_code", "refresh_token"].includes(grantType)) {
        return aadError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
      }
      if (!state.tenants.has(tenantId.toLowerCase())) {
        return aadError(400, "invalid_request", 90002, `Tenant '${tenantId}' not found.`);
      }
      const app = state.app(tenantId, form.client_id ?? "");
      if (!app) {
        return aadError(400, "unauthorized_client", 700016, "Application was not found in the directory.");
      }
      if (form.client_secret !== app.clientSecret) {
        return aadError(401, "invalid_client", 7000215, "Invalid client secret provided.");
      }
      if (app.secretExpired) {
        return aadError(
          401,
          "invalid_client",
          7000222,
          "The provided client secret keys for app are expired.",
        );
      }
      if (grantType === "authorization_code") return authorizationCodeGrant(state, tenantId, app, form);
      if (grantType === "refresh_token") return refreshTokenGrant(state, tenantId, app, form);
      if (form.scope !== GRAPH_SCOPE) {
        return aadError(400, "invalid_scope", 1002012, "The provided value for scope is not valid.");
      }
      const { token, expiresIn } = state.issueToken(tenantId, app.clientId);
      return {
        status: 200,
        body: { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token },
      };
    })();
    state.countTokenRequest(`${grantType || "none"}:${out.status}`);
    return reply.code(out.status).type("application/json").send(out.body);
  });
}
