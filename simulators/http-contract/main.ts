// CLI: `tsx simulators/http-contract/main.ts [--port 4025] [--clients clients.json]
//        [--webhook-url URL --webhook-secret SECRET] [--latency-ms N] [--fault-rate R]`.
// Clients from --clients (JSON array of {clientId, clientSecret}) or CONTRACT_SIM_CLIENTS, else
// one demo client. The base URL to configure in Auditorium is printed at start.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { startContractSimulator } from "./server.ts";

const clientsSchema = z.array(z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) }));

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string" },
    clients: { type: "string" },
    "webhook-url": { type: "string" },
    "webhook-secret": { type: "string" },
    "latency-ms": { type: "string" },
    "fault-rate": { type: "string" },
    seed: { type: "string" },
    log: { type: "boolean", default: false },
  },
});

function numberArg(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

const port = numberArg("port", values.port ?? process.env.CONTRACT_SIM_PORT ?? "0", 0, 65535) ?? 0;
const clientsJson = values.clients ? readFileSync(values.clients, "utf8") : process.env.CONTRACT_SIM_CLIENTS;
const clients = clientsJson
  ? clientsSchema.parse(JSON.parse(clientsJson))
  : [{ clientId: "demo-client", clientSecret: "demo-secret" }];
const webhookUrl = values["webhook-url"];
const webhookSecret = values["webhook-secret"] ?? process.env.CONTRACT_SIM_WEBHOOK_SECRET;
if (webhookUrl && !webhookSecret) {
  console.error("--webhook-url needs --webhook-secret (or CONTRACT_SIM_WEBHOOK_SECRET)");
  process.exit(2);
}
const faultRate = numberArg("fault-rate", values["fault-rate"], 0, 1) ?? 0;

const sim = await startContractSimulator({
  clients,
  port,
  host: values.host ?? "127.0.0.1",
  seed: numberArg("seed", values.seed, 0, 2 ** 32),
  logger: values.log,
  knobs: {
    latencyMs: numberArg("latency-ms", values["latency-ms"], 0, 60_000) ?? 0,
    faultBeforeCommitRate: faultRate / 2,
    faultAfterCommitRate: faultRate / 2,
  },
  ...(webhookUrl && webhookSecret ? { webhook: { url: webhookUrl, secret: webhookSecret } } : {}),
});
console.log(`Open-contract reference implementation listening on ${sim.url}`);
console.log(`  base URL (settings.baseUrl): ${sim.baseUrl}`);
console.log(`  control API: ${sim.url}/_sim`);
for (const c of clients) console.log(`  client ${c.clientId}`);

const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
