// Shared by the Teams adapter, webhook and sync tests and the Teams driver: one simulated tenant
// with an app that has an access policy, plus helpers to read the simulator's control API.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Knobs, startTeamsSimulator } from "../../simulators/teams/server.ts";
import type {
  ProviderAccount,
  WebhookEvent,
  WebhookOutcome,
  WebinarProvider,
} from "../../src/providers/contract.ts";

export const TEAMS_TENANT = "4a6b2c1d-0000-4000-8000-00000000c0de";
export const TEAMS_ORGANIZER = "7e1f0000-0000-4000-8000-0000000000a1";
export const TEAMS_APP = { clientId: "app-1234", clientSecret: "SECRET-teams-do-not-leak" };
/** Same tenant, app without an application access policy (Graph answers 403). */
export const TEAMS_APP_NO_POLICY = { clientId: "app-nopolicy", clientSecret: "nopolicy-secret" };
export const TEAMS_APP_EXPIRED = { clientId: "app-expired", clientSecret: "expired-secret" };

export async function startTeamsSim(knobs: Partial<Knobs> = {}) {
  return startTeamsSimulator({
    tenants: [
      {
        tenantId: TEAMS_TENANT,
        organizerUserId: TEAMS_ORGANIZER,
        apps: [
          { ...TEAMS_APP, accessPolicy: true },
          { ...TEAMS_APP_NO_POLICY, accessPolicy: false },
          { ...TEAMS_APP_EXPIRED, accessPolicy: true, secretExpired: true },
        ],
      },
    ],
    knobs,
    seed: 5,
  });
}
export type TeamsSim = Awaited<ReturnType<typeof startTeamsSim>>;

export function teamsAccount(app = TEAMS_APP, tenantId = TEAMS_TENANT): ProviderAccount {
  return {
    credentials: { clientId: Buffer.from(app.clientId), clientSecret: Buffer.from(app.clientSecret) },
    settings: { tenantId, organizerUserId: TEAMS_ORGANIZER },
  };
}

export async function simJson<T = any>(sim: TeamsSim, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.url}/_sim${path}`, {
    method: body === undefined ? "GET" : "POST",
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`sim ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * A notification endpoint that does what our webhook route does with a Graph delivery: hand the
 * raw request to the adapter's handleWebhook and answer as told. Collects outcomes.
 */
export async function startReceiver(
  provider: WebinarProvider,
  account: ProviderAccount,
  clientStates: () => readonly string[],
) {
  const outcomes: WebhookOutcome[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers))
        headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
      const outcome = provider.handleWebhook?.(
        account,
        { headers, query: Object.fromEntries(url.searchParams), rawBody: Buffer.concat(chunks) },
        { now: new Date(), clientStates: clientStates() },
      ) ?? { kind: "rejected", reason: "no handler" };
      outcomes.push(outcome);
      if (outcome.kind === "respond") {
        res.writeHead(outcome.status, { "content-type": outcome.contentType }).end(outcome.body);
      } else if (outcome.kind === "rejected") {
        res.writeHead(401).end();
      } else {
        res.writeHead(202).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/teams-config`,
    outcomes,
    events(): WebhookEvent[] {
      return outcomes.flatMap((o) => (o.kind === "events" ? o.events : []));
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function spec(title = "Teams webinar under test") {
  const startsAt = new Date(Date.now() + 3600_000);
  return {
    title,
    description: "About the webinar",
    startsAt,
    endsAt: new Date(startsAt.getTime() + 3600_000),
    timeZone: "Europe/Oslo",
    language: "en",
  };
}
