// CLI: `tsx simulators/goto/main.ts [--port 4025] [--accounts accounts.json] [--seed N]`.
// Port from --port or GOTO_SIM_PORT (default: random). Accounts from --accounts or GOTO_SIM_ACCOUNTS
// (a JSON array of {clientId, clientSecret, refreshToken, organizerKey}), else one demo account.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startGotoSimulator } from "./server.ts";

const accountsSchema = z.array(
  z.object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    organizerKey: z.string().regex(/^\d{1,19}$/),
  }),
);

const DEMO_ACCOUNTS = [
  {
    clientId: "demo-goto-client",
    clientSecret: "demo-goto-secret",
    refreshToken: "demo-goto-refresh-token",
    organizerKey: "9007199254741234",
  },
];

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    accounts: { type: "string" },
    seed: { type: "string" },
  },
});

const portRaw = values.port ?? process.env.GOTO_SIM_PORT ?? "0";
const port = Number(portRaw);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${portRaw}`);
  process.exit(2);
}
const accountsJson = values.accounts ? readFileSync(values.accounts, "utf8") : process.env.GOTO_SIM_ACCOUNTS;
const accounts = accountsJson ? accountsSchema.parse(JSON.parse(accountsJson)) : DEMO_ACCOUNTS;

const sim = await startGotoSimulator({
  accounts,
  port,
  host: values.host ?? "127.0.0.1",
  ...(values.seed !== undefined && { seed: Number(values.seed) }),
});
console.log(`GoTo Webinar simulator listening on ${sim.url}`);
console.log(`  AUDITORIUM_GOTO_API_URL=${sim.apiUrl}`);
console.log(`  AUDITORIUM_GOTO_AUTH_URL=${sim.authUrl}`);
console.log(`  control API: ${sim.url}/_sim`);
for (const a of accounts) console.log(`  client ${a.clientId}: organizerKey=${a.organizerKey}`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
