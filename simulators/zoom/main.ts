// CLI: `tsx simulators/zoom/main.ts [--port 4025] [--accounts accounts.json] [--webhook-url URL
// --webhook-secret S]`. Port from --port or ZOOM_SIM_PORT (default: random). Accounts from
// --accounts or ZOOM_SIM_ACCOUNTS (JSON array of {accountId, clientId, clientSecret}), else one
// demo account.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startZoomSimulator } from "./server.ts";

const accountsSchema = z.array(
  z.object({ accountId: z.string().min(1), clientId: z.string().min(1), clientSecret: z.string().min(1) }),
);

const DEMO_ACCOUNTS = [{ accountId: "demo-account", clientId: "demo-client", clientSecret: "demo-secret" }];

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    accounts: { type: "string" },
    seed: { type: "string" },
    "webhook-url": { type: "string" },
    "webhook-secret": { type: "string" },
    log: { type: "boolean", default: false },
  },
});

const portRaw = values.port ?? process.env.ZOOM_SIM_PORT ?? "0";
const port = Number(portRaw);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${portRaw}`);
  process.exit(2);
}
const accountsJson = values.accounts ? readFileSync(values.accounts, "utf8") : process.env.ZOOM_SIM_ACCOUNTS;
const accounts = accountsJson ? accountsSchema.parse(JSON.parse(accountsJson)) : DEMO_ACCOUNTS;
const hookUrl = values["webhook-url"];
const hookSecret = values["webhook-secret"];
if ((hookUrl === undefined) !== (hookSecret === undefined)) {
  console.error("--webhook-url and --webhook-secret go together");
  process.exit(2);
}

const sim = await startZoomSimulator({
  accounts,
  port,
  host: values.host ?? "127.0.0.1",
  seed: values.seed ? Number(values.seed) : undefined,
  logger: values.log,
  ...(hookUrl && hookSecret && { webhook: { url: hookUrl, secretToken: hookSecret } }),
});
console.log(`Zoom simulator listening on ${sim.url}`);
console.log(`  API URL:     ${sim.apiUrl}   (AUDITORIUM_ZOOM_API_URL)`);
console.log(`  OAuth URL:   ${sim.oauthUrl}   (AUDITORIUM_ZOOM_OAUTH_URL)`);
console.log(`  control API: ${sim.url}/_sim`);
for (const a of accounts) console.log(`  account ${a.accountId}: client id ${a.clientId}`);
if (hookUrl) console.log(`  webhook endpoint validated: ${await sim.state.hooks.validate()}`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
