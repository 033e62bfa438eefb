// CLI: `tsx simulators/on24/main.ts [--port 4024] [--accounts accounts.json]`.
// Port from --port or ON24_SIM_PORT (default: random). Accounts from --accounts (JSON array of
// {clientId, accessTokenKey, accessTokenSecret, region?}) or ON24_SIM_ACCOUNTS (same JSON), else
// one demo account per region.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startOn24Simulator } from "./server.ts";

const accountsSchema = z.array(
  z.object({
    clientId: z.number().int().positive(),
    accessTokenKey: z.string().min(1),
    accessTokenSecret: z.string().min(1),
    region: z.enum(["NA", "EU"]).optional(),
  }),
);

const DEMO_ACCOUNTS = [
  {
    clientId: 10001,
    accessTokenKey: "DEMOKEYNA",
    accessTokenSecret: "demo-secret-na",
    region: "NA" as const,
  },
  {
    clientId: 20001,
    accessTokenKey: "DEMOKEYEU",
    accessTokenSecret: "demo-secret-eu",
    region: "EU" as const,
  },
];

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    accounts: { type: "string" },
    seed: { type: "string" },
    log: { type: "boolean", default: false },
  },
});

const portRaw = values.port ?? process.env.ON24_SIM_PORT ?? "0";
const port = Number(portRaw);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid port: ${portRaw}`);
  process.exit(2);
}
const accountsJson = values.accounts ? readFileSync(values.accounts, "utf8") : process.env.ON24_SIM_ACCOUNTS;
const accounts = accountsJson ? accountsSchema.parse(JSON.parse(accountsJson)) : DEMO_ACCOUNTS;

const sim = await startOn24Simulator({
  accounts,
  port,
  host: values.host ?? "127.0.0.1",
  seed: values.seed ? Number(values.seed) : undefined,
  logger: values.log,
});
console.log(`ON24 simulator listening on ${sim.url}`);
console.log(`  NA base URL: ${sim.baseUrls.NA}`);
console.log(`  EU base URL: ${sim.baseUrls.EU}`);
console.log(`  control API: ${sim.url}/_sim`);
for (const a of accounts)
  console.log(`  account ${a.clientId} (${a.region ?? "NA"}): key=${a.accessTokenKey}`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
