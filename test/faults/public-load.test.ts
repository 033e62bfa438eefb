import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { after, before, test } from "node:test";
import { freePort } from "../helpers/free-port.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { mainArgs } from "../helpers/main-process.ts";
import { type Simulator, startSimulator, waitUntil, webinarSetup } from "../webinars/fixtures.ts";
import { stopWorker } from "../webinars/workers.ts";

/**
 * Open-loop load on the public registration endpoint: LOAD_RATE registrations a second
 * (default 500) for LOAD_SECONDS (default 60) against `auditorium serve --no-worker` in its
 * own process on server PostgreSQL, the public rate limit raised to let that rate through.
 * Requests are sent on schedule whether or not earlier ones have been answered, so a slow
 * server shows as latency, not as a politely lower rate. No loss: every 201 is a stored
 * registration with its sync job, and nothing else was stored. The p99 is reported, not asserted.
 */
const RATE = Number(process.env.LOAD_RATE ?? 500);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
// The overload case: a process admitting OVERLOAD_LIMIT registrations at once, offered twice
// what it accepts for OVERLOAD_SECONDS (issue 18's goal is 60 s; 20 keeps CI short).
const OVERLOAD_LIMIT = Number(process.env.OVERLOAD_LIMIT ?? 16);
const OVERLOAD_SECONDS = Number(process.env.OVERLOAD_SECONDS ?? 20);

const sim: Simulator = await startSimulator();
after(() => sim.close());

// A bounded pool of keep-alive connections, as a load balancer in front would keep: requests
// beyond it wait in the client's queue, and that wait counts in their latency.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            retryAfter: res.headers["retry-after"] as string | undefined,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

forEachBackend(
  "public registration load",
  (ctx) => {
    let org: TestOrg;
    let base = "";
    const servers: ReturnType<typeof spawn>[] = [];
    /** `auditorium serve --no-worker` in its own process; resolves with its base URL once ready. */
    async function startServe(env: Record<string, string>) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const server = spawn(process.execPath, mainArgs("serve", "--no-worker"), {
        env: {
          ...process.env,
          DATABASE_URL: ctx.database.connectionString as string,
          AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
          AUDITORIUM_DATA_DIR: ctx.dataDir,
          AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
          PORT: String(port),
          HOST: "127.0.0.1",
          AUDITORIUM_PUBLIC_URL: url,
          AUDITORIUM_PUBLIC_RATE_LIMIT: String(RATE * 120),
          AUDITORIUM_LOG_LEVEL: "warn",
          AUDITORIUM_DB_POOL_SIZE: "10",
          ...env,
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      servers.push(server);
      await waitUntil("the server", async () => (await fetch(`${url}/readyz`)).ok, 60_000);
      return url;
    }
    before(async () => {
      org = await ctx.createOrg("load");
      // This test measures no loss at a rate, not admission: the limit is out of its way.
      base = await startServe({ AUDITORIUM_INTAKE_MAX_IN_FLIGHT: "10000" });
    });
    after(async () => {
      agent.destroy();
      for (const server of servers) await stopWorker(server);
    });

    test(`${RATE}/s for ${SECONDS} s on the public endpoint: no loss, p99 reported`, async () => {
      const { eventId } = await webinarSetup(ctx, org);
      const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
        token: org.tokens.marketer,
      });
      assert.equal(published.status, 200, published.text);
      const slug = published.body.slug as string;
      const url = `${base}/api/v1/public/events/${slug}/registrations`;
      const latencies: number[] = [];
      const statuses = new Map<string, number>();
      const accepted = new Set<string>();
      const inFlight: Promise<void>[] = [];
      const total = RATE * SECONDS;
      const started = performance.now();
      const send = async (n: number) => {
        const t0 = performance.now();
        let status = "network";
        try {
          const res = await postJson(url, {
            firstName: `L${n}`,
            lastName: "Load",
            email: `load${n}@example.com`,
          });
          status = String(res.status);
          // The answer names nobody (docs/email.md): an accepted address is matched to its row below.
          if (res.status === 202) accepted.add(`load${n}@example.com`);
        } catch {
          // counted as "network" below
        }
        latencies.push(performance.now() - t0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      };
      // Open loop: request n leaves at n / RATE seconds, whatever the answers so far.
      for (let n = 0; n < total; n++) {
        const due = started + (n * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        inFlight.push(send(n));
      }
      const offeredSeconds = (performance.now() - started) / 1000;
      await Promise.all(inFlight);
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const stored = await ctx.database.db
        .selectFrom("registrations as r")
        .innerJoin("contacts as c", "c.id", "r.contact_id")
        .select("c.email as id")
        .where("r.event_id", "=", eventId)
        .execute();
      const jobs = await ctx.database.db
        .selectFrom("registration_syncs as s")
        .innerJoin("registrations as r", "r.id", "s.registration_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("r.event_id", "=", eventId)
        .executeTakeFirstOrThrow();
      process.stdout.write(
        `# load: offered ${total} at ${RATE}/s over ${offeredSeconds.toFixed(1)} s; all answered after ${seconds.toFixed(1)} s ` +
          `(${(accepted.size / seconds).toFixed(0)}/s stored); statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, ` +
          `p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${(latencies.at(-1) ?? 0).toFixed(0)} ms\n`,
      );
      assert.equal(statuses.get("network") ?? 0, 0, "every request answered");
      for (const status of statuses.keys()) assert.ok(!status.startsWith("5"), `no ${status}`);
      assert.equal(stored.length, accepted.size, "every 202 is stored, and nothing else");
      assert.ok(stored.every((r) => accepted.has(r.id)));
      assert.equal(Number(jobs.n), accepted.size, "each stored registration has its sync work");
      assert.equal(accepted.size, total, "every registration accepted");
    });

    test(`overload: offered 2× capacity for ${OVERLOAD_SECONDS} s past the admission limit: 202s all stored, 503s at once with Retry-After and nothing written`, async () => {
      const overloaded = await startServe({
        AUDITORIUM_INTAKE_MAX_IN_FLIGHT: String(OVERLOAD_LIMIT),
        AUDITORIUM_INTAKE_RETRY_AFTER_SECONDS: "1",
      });
      const { eventId } = await webinarSetup(ctx, org);
      const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
        token: org.tokens.marketer,
      });
      assert.equal(published.status, 200, published.text);
      const url = `${overloaded}/api/v1/public/events/${published.body.slug}/registrations`;
      const accepted = new Set<string>();
      const refused = new Set<string>();
      const acceptedMs: number[] = [];
      const refusedMs: number[] = [];
      const other = new Map<string, number>();
      let withoutRetryAfter = 0;
      const send = async (n: number) => {
        const email = `over${n}@example.com`;
        const t0 = performance.now();
        try {
          const res = await postJson(url, { firstName: `O${n}`, lastName: "Over", email });
          const ms = performance.now() - t0;
          if (res.status === 202) {
            accepted.add(email);
            acceptedMs.push(ms);
          } else if (res.status === 503) {
            refused.add(email);
            refusedMs.push(ms);
            if (!res.retryAfter) withoutRetryAfter += 1;
          } else other.set(String(res.status), (other.get(String(res.status)) ?? 0) + 1);
        } catch {
          other.set("network", (other.get("network") ?? 0) + 1);
        }
      };
      // Capacity: what the process accepts a second when more is asked than it admits
      // (closed loop, 4 × the limit in flight, 5 s, after a warm-up).
      // A fresh process compiles its hot paths in its first seconds: 5 s of the same first,
      // uncounted (its rows are in the books below all the same).
      let n = 0;
      const closedLoop = async (ms: number) => {
        const until = performance.now() + ms;
        await Promise.all(
          Array.from({ length: OVERLOAD_LIMIT * 4 }, async () => {
            while (performance.now() < until) await send(n++);
          }),
        );
      };
      await closedLoop(5000);
      const warmedUp = accepted.size;
      await closedLoop(5000);
      const capacity = Math.max(10, (accepted.size - warmedUp) / 5);
      const offered = Math.round(capacity * 2);
      // The report is the open loop's; the books below cover both phases.
      const [probeAccepted, probeRefused] = [accepted.size, refused.size];
      acceptedMs.length = 0;
      refusedMs.length = 0;
      // Open loop at twice that.
      const inFlight: Promise<void>[] = [];
      const started = performance.now();
      const first = n;
      for (let i = 0; i < offered * OVERLOAD_SECONDS; i++) {
        const due = started + (i * 1000) / offered;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        inFlight.push(send(first + i));
      }
      await Promise.all(inFlight);
      const stored = await ctx.database.db
        .selectFrom("registrations as r")
        .innerJoin("contacts as c", "c.id", "r.contact_id")
        .select("c.email as id")
        .where("r.event_id", "=", eventId)
        .execute();
      const refusedContacts = await ctx.database.db
        .selectFrom("contacts")
        .select("id")
        .where("organization_id", "=", org.id)
        .where("email", "in", [...refused, "none@example.com"])
        .execute();
      acceptedMs.sort((a, b) => a - b);
      refusedMs.sort((a, b) => a - b);
      process.stdout.write(
        `# overload: limit ${OVERLOAD_LIMIT} in flight, capacity ${capacity.toFixed(0)}/s, offered ${offered}/s for ${OVERLOAD_SECONDS} s; ` +
          `${accepted.size - probeAccepted} × 202 (p50 ${percentile(acceptedMs, 50).toFixed(0)} ms, p99 ${percentile(acceptedMs, 99).toFixed(0)} ms), ` +
          `${refused.size - probeRefused} × 503 (p50 ${percentile(refusedMs, 50).toFixed(0)} ms, p99 ${percentile(refusedMs, 99).toFixed(0)} ms); ` +
          `other ${JSON.stringify(Object.fromEntries(other))}; stored ${stored.length} (probe included); lost ${[...accepted].filter((e) => !stored.some((r) => r.id === e)).length}; partial ${refusedContacts.length}\n`,
      );
      assert.deepEqual(Object.fromEntries(other), {}, "every answer is 202 or 503");
      assert.ok(refused.size > 0, "past capacity some are refused");
      assert.equal(withoutRetryAfter, 0, "every 503 carries Retry-After");
      assert.equal(stored.length, accepted.size, "every 202 is stored (0 lost), and nothing else");
      assert.ok(stored.every((r) => accepted.has(r.id)));
      assert.equal(refusedContacts.length, 0, "a 503 wrote nothing (0 partial)");
    });
  },
  { only: "postgres" },
);
