// CLI: `tsx simulators/teams/main.ts [--port 4025] [--tenants tenants.json]`.
// Tenants from --tenants (JSON array of {tenantId, organizerUserId, organizerName?, apps: [{clientId,
// clientSecret, accessPolicy?, redirectUris?}]}) or TEAMS_SIM_TENANTS (same JSON), else one demo tenant.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startTeamsSimulator } from "./server.ts";

const tenantsSchema = z.array(
  z.object({
    tenantId: z.string().uuid(),
    organizerUserId: z.string().uuid(),
    organizerName: z.string().min(1).optional(),
    apps: z.array(
      z.object({
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        accessPolicy: z.boolean().optional(),
        redirectUris: z.array(z.string().url()).optional(),
      }),
    ),
  }),
);

const DEMO = [
  {
    tenantId: "00000000-0000-4000-8000-000000000001",
    organizerUserId: "00000000-0000-4000-8000-0000000000aa",
    apps: [{ clientId: "demo-app", clientSecret: "demo-secret", accessPolicy: true }],
  },
];

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    tenants: { type: "string" },
    log: { type: "boolean", default: false },
  },
});
const port = Number(values.port ?? process.env.TEAMS_SIM_PORT ?? "0");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error("Invalid port");
  process.exit(2);
}
const json = values.tenants ? readFileSync(values.tenants, "utf8") : process.env.TEAMS_SIM_TENANTS;
const tenants = json ? tenantsSchema.parse(JSON.parse(json)) : DEMO;
const sim = await startTeamsSimulator({
  tenants,
  port,
  host: values.host ?? "127.0.0.1",
  logger: values.log,
});
console.log(`Microsoft Graph (Teams) simulator listening on ${sim.url}`);
console.log(`  AUDITORIUM_GRAPH_URL=${sim.graphUrl}`);
console.log(`  AUDITORIUM_MS_LOGIN_URL=${sim.loginUrl}`);
console.log(`  control API: ${sim.url}/_sim`);
for (const t of tenants)
  console.log(`  tenant ${t.tenantId}: apps ${t.apps.map((a) => a.clientId).join(", ")}`);
const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
