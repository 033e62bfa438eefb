// Microsoft identity platform authorize endpoint (authorization code flow with PKCE): a tiny
// sign-in-and-consent page for the tenant's organizer with "Accept" and "Cancel", or approval at
// once with the `autoConsent` knob or `sim_auto=1` in the query. Errors before the redirect URI is
// trusted are an error page (as Microsoft shows); after, they go back to the redirect URI as
// `error`, `error_description` and `state` query parameters.
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { TeamsSimState } from "../state.ts";

interface Pending {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | undefined;
  codeChallenge: string | null;
  codeChallengeMethod: "S256" | "plain";
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

function errorPage(reply: FastifyReply, code: number, text: string) {
  return reply
    .code(400)
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><link rel="icon" href="data:,"><title>Sign in to your account</title><h1>Sign in</h1><p id="error">AADSTS${code}: ${escapeHtml(text)}</p>`,
    );
}

function back(reply: FastifyReply, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return reply.redirect(url.toString(), 302);
}

export function consentRoutes(app: FastifyInstance, state: TeamsSimState): void {
  const pending = new Map<string, Pending>();

  function approve(reply: FastifyReply, p: Pending) {
    const tenant = state.tenants.get(p.tenantId);
    const code = `simcode.${randomBytes(24).toString("base64url")}`;
    state.authCodes.set(code, {
      tenantId: p.tenantId,
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      codeChallenge: p.codeChallenge,
      codeChallengeMethod: p.codeChallengeMethod,
      scope: p.scope,
      userId: tenant?.organizerUserId ?? "",
      expiresAt: Date.now() + state.knobs.authCodeLifetimeSeconds * 1000,
      redeemed: false,
    });
    return back(reply, p.redirectUri, {
      code,
      state: p.state,
      session_state: randomBytes(8).toString("hex"),
    });
  }

  app.get("/:tenantId/oauth2/v2.0/authorize", async (req, reply) => {
    state.requestCount++;
    const { tenantId = "" } = req.params as { tenantId?: string };
    const q = req.query as Record<string, string | undefined>;
    const tenant = state.tenants.get(tenantId.toLowerCase());
    if (!tenant) return errorPage(reply, 90002, `Tenant '${tenantId}' not found.`);
    const client = state.app(tenantId, q.client_id ?? "");
    if (!client) return errorPage(reply, 700016, "Application was not found in the directory.");
    const redirectUri = q.redirect_uri ?? "";
    let valid = false;
    try {
      valid = ["http:", "https:"].includes(new URL(redirectUri).protocol);
    } catch {
      valid = false;
    }
    if (!valid || (client.redirectUris && !client.redirectUris.includes(redirectUri))) {
      return errorPage(
        reply,
        50011,
        "The redirect URI specified in the request does not match the redirect URIs configured for the application.",
      );
    }
    const fail = (error: string, code: number, text: string) =>
      back(reply, redirectUri, { error, error_description: `AADSTS${code}: ${text}`, state: q.state });
    if (q.response_type !== "code")
      return fail("unsupported_response_type", 700054, "response_type 'code' is required.");
    if (!q.scope?.trim())
      return fail(
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    const method = q.code_challenge_method ?? (q.code_challenge ? "plain" : undefined);
    if (q.code_challenge !== undefined && method !== "S256" && method !== "plain")
      return fail("invalid_request", 501491, "Invalid code_challenge_method.");
    if (q.code_challenge !== undefined && !/^[A-Za-z0-9._~-]{43,128}$/.test(q.code_challenge))
      return fail("invalid_request", 501491, "Invalid size of code_challenge parameter.");
    const p: Pending = {
      tenantId: tenant.tenantId.toLowerCase(),
      clientId: client.clientId,
      redirectUri,
      scope: q.scope.trim(),
      state: q.state,
      codeChallenge: q.code_challenge ?? null,
      codeChallengeMethod: method === "plain" ? "plain" : "S256",
    };
    if (state.knobs.autoConsent || q.sim_auto === "1") return approve(reply, p);
    const id = randomBytes(16).toString("base64url");
    pending.set(id, p);
    const name = tenant.organizerName ?? "Olivia Organizer";
    return reply.type("text/html; charset=utf-8").send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Permissions requested</title></head>
<body>
<h1>Permissions requested</h1>
<p>Signed in as <strong id="user">${escapeHtml(name)}</strong> (${escapeHtml(tenant.organizerUserId)})</p>
<p><strong>${escapeHtml(client.clientId)}</strong> would like to:</p>
<ul id="scopes">${p.scope
      .split(/\s+/)
      .map((s) => `<li>${escapeHtml(s)}</li>`)
      .join("")}</ul>
<form method="post" action="/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize/decision">
  <input type="hidden" name="request" value="${id}">
  <button type="submit" name="decision" value="accept">Accept</button>
  <button type="submit" name="decision" value="decline">Cancel</button>
</form>
</body></html>`);
  });

  app.post("/:tenantId/oauth2/v2.0/authorize/decision", async (req, reply) => {
    state.requestCount++;
    const form = (req.body ?? {}) as Record<string, string>;
    const p = pending.get(form.request ?? "");
    if (!p) return errorPage(reply, 90014, "The consent request is unknown or was already answered.");
    pending.delete(form.request ?? "");
    if (form.decision !== "accept") {
      return back(reply, p.redirectUri, {
        error: "access_denied",
        error_description: "AADSTS65004: User declined to consent to access the app.",
        state: p.state,
      });
    }
    return approve(reply, p);
  });
}
