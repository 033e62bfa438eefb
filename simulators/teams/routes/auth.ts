// Microsoft identity platform token endpoint, client-credentials grant only
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
// Errors use the identity platform's own envelope `{error, error_description, error_codes}`.
import type { FastifyInstance } from "fastify";
import type { TeamsSimState } from "../state.ts";

const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

function aadError(status: number, error: string, code: number, description: string) {
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: 00000000-0000-0000-0000-000000000000`,
      error_codes: [code],
      timestamp: new Date().toISOString().replace("T", " ").replace(/\..*$/, "Z"),
    },
  };
}

export function tokenRoutes(app: FastifyInstance, state: TeamsSimState): void {
  app.post("/:tenantId/oauth2/v2.0/token", async (req, reply) => {
    state.requestCount++;
    if (state.knobs.latencyMs > 0) await new Promise((r) => setTimeout(r, state.knobs.latencyMs));
    const { tenantId = "" } = req.params as { tenantId?: string };
    const form = (req.body ?? {}) as Record<string, string>;
    const out = (() => {
      if (form.grant_type !== "client_credentials") {
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
      if (form.scope !== GRAPH_SCOPE) {
        return aadError(400, "invalid_scope", 1002012, "The provided value for scope is not valid.");
      }
      const { token, expiresIn } = state.issueToken(tenantId, app.clientId);
      return {
        status: 200,
        body: { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token },
      };
    })();
    return reply.code(out.status).type("application/json").send(out.body);
  });
}
