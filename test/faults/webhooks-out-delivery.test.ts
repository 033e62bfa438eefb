import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { webhookIdOf } from "../../src/modules/webhooks-out/signing.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { type Behaviour, type Receiver, startReceiver } from "../webhooks-out/receiver.ts";
import { createRegistrations, waitUntil } from "../webinars/fixtures.ts";
import { startWorker, stopWorker } from "../webinars/workers.ts";

const EVENTS = 300;

/** A seeded generator, so a failing run can be repeated. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Outgoing webhooks under faults, with real worker processes on server PostgreSQL: the
 * receiver fails 30 % of requests (500s, timeouts, dropped connections, a third each), and
 * of three worker processes two are killed with SIGKILL while deliveries are in flight. Every event must reach
 * the receiver, under the same webhook-id whenever it comes again, and none may be missing.
 */
forEachBackend(
  "outgoing webhook delivery under faults",
  (ctx) => {
    let org: TestOrg;
    let receiver: Receiver;
    const workers: ReturnType<typeof startWorker>[] = [];
    const random = mulberry32(16);
    const faults: Behaviour[] = ["error500", "timeout", "drop"];
    const workerEnv = () => ({
      DATABASE_URL: ctx.database.connectionString as string,
      AUDITORIUM_KEYRING_DIR: path.join(ctx.dataDir, "keys"),
      AUDITORIUM_WEBHOOK_TIMEOUT_SECONDS: "1",
      AUDITORIUM_WEBHOOK_RETRY_BASE_SECONDS: "0.2",
      AUDITORIUM_DB_POOL_SIZE: "4",
    });
    before(async () => {
      org = await ctx.createOrg("webhooks-out faults");
      receiver = await startReceiver(() =>
        random() < 0.3 ? (faults[Math.floor(random() * 3)] ?? "drop") : "ok",
      );
    });
    after(async () => {
      await Promise.all(workers.map(stopWorker));
      await receiver.close();
    });
    const alive = () => workers.filter((w) => w.exitCode === null && w.signalCode === null);

    test(`${EVENTS} events, 30 % receiver faults, two SIGKILLs: all delivered, same id on redelivery, none missing`, async () => {
      const ep = await ctx.request("POST", "/api/v1/webhook-endpoints", {
        token: org.tokens.admin,
        body: { url: receiver.url, eventTypes: ["registration.created"] },
      });
      assert.equal(ep.status, 201, ep.text);
      const event = await ctx.request("POST", "/api/v1/events", {
        token: org.tokens.marketer,
        body: {
          title: "Faults",
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          endsAt: new Date(Date.now() + 90_000_000).toISOString(),
          timeZone: "UTC",
          format: "onsite",
        },
      });
      assert.equal(event.status, 201, event.text);
      // The workers start while the events are written (a process takes seconds to start);
      // delivery begins as soon as one is up, so the kills below land inside it.
      const started = Date.now();
      // Three processes, two of which are killed (no replacements: each start costs seconds of CPU).
      workers.push(startWorker(workerEnv()), startWorker(workerEnv()), startWorker(workerEnv()));
      await createRegistrations(ctx, org, event.body.id, EVENTS, "hook");
      const messages = await ctx.database.db
        .selectFrom("webhook_messages")
        .select(["id"])
        .where("organization_id", "=", org.id)
        .execute();
      assert.equal(messages.length, EVENTS);
      const expected = new Set(messages.map((m) => webhookIdOf(m.id)));
      const accepted = () => new Set(receiver.accepted().map((r) => r.id));
      const kills: { at: number; received: number }[] = [];
      for (const share of [0.25, 0.6]) {
        await waitUntil(`${share * 100} % accepted`, async () => accepted().size >= EVENTS * share, 60_000);
        // Mid-delivery: requests of both workers are in flight at the receiver all the time.
        alive()[0]?.kill("SIGKILL");
        kills.push({ at: (Date.now() - started) / 1000, received: receiver.received.length });
      }
      await waitUntil(
        "every event accepted",
        async () => [...expected].every((id) => accepted().has(id)),
        75_000,
      ).catch((e) => {
        throw new Error(
          `${e.message}: ${expected.size - [...expected].filter((id) => accepted().has(id)).length} missing; ` +
            `worker output: ${workers.map((w) => w.output.join("").slice(-800)).join("\n---\n")}`,
        );
      });
      const seconds = (Date.now() - started) / 1000;
      await waitUntil("every delivery settled", async () => {
        const open = await ctx.database.db
          .selectFrom("webhook_deliveries")
          .select("id")
          .where("organization_id", "=", org.id)
          .where("state", "<>", "delivered")
          .execute();
        return open.length === 0;
      });

      const got = receiver.received;
      const okById = new Map<string, number>();
      for (const r of receiver.accepted()) okById.set(r.id, (okById.get(r.id) ?? 0) + 1);
      const duplicates = [...okById.values()].filter((n) => n > 1).length;
      const missing = [...expected].filter((id) => !okById.has(id)).length;
      const attempts = await ctx.database.db
        .selectFrom("webhook_attempts")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("organization_id", "=", org.id)
        .executeTakeFirstOrThrow();
      const byKind = (k: Behaviour) => got.filter((r) => r.answered === k).length;
      const rows: [string, string | number][] = [
        ["events", EVENTS],
        ["requests at the receiver", got.length],
        ["attempts logged", Number(attempts.n)],
        ["retries (requests − events)", got.length - EVENTS],
        [
          "answered 500 / timed out / dropped",
          `${byKind("error500")} / ${byKind("timeout")} / ${byKind("drop")}`,
        ],
        ["accepted (200)", receiver.accepted().length],
        ["duplicates by id at the receiver (accepted twice)", duplicates],
        ["missing", missing],
        [
          "SIGKILLs (s after start, requests so far)",
          kills.map((k) => `${k.at.toFixed(1)} s/${k.received}`).join(", "),
        ],
        [
          "first request after (workers starting)",
          `${(((got[0]?.at ?? started) - started) / 1000).toFixed(1)} s`,
        ],
        ["all delivered after", `${seconds.toFixed(1)} s`],
      ];
      process.stdout.write(
        `# delivery table\n${rows.map(([k, v]) => `#   ${k.padEnd(52)} ${v}`).join("\n")}\n`,
      );
      const sample = receiver.accepted()[0];
      assert.ok(sample);
      process.stdout.write(
        `# one signed request as the receiver saw it:\n#   POST /hooks\n${Object.entries(sample.headers)
          .filter(([k]) => k.startsWith("webhook-") || k === "content-type" || k === "user-agent")
          .map(([k, v]) => `#   ${k}: ${v}`)
          .join("\n")}\n#\n#   ${sample.body}\n`,
      );

      assert.equal(missing, 0);
      // Every request was one of ours, signed, and a message's id always carries the same body.
      const wh = new Webhook(ep.body.secret);
      const bodyOf = new Map<string, string>();
      for (const r of got) {
        assert.ok(expected.has(r.id), `an unknown webhook-id ${r.id}`);
        wh.verify(r.body, {
          "webhook-id": r.id,
          "webhook-timestamp": r.timestamp,
          "webhook-signature": r.signature,
        });
        const seen = bodyOf.get(r.id);
        if (seen !== undefined) assert.equal(r.body, seen, "a redelivery is the same message");
        bodyOf.set(r.id, r.body);
      }
      assert.ok(got.length > EVENTS, "faults caused retries");
      assert.ok(byKind("timeout") > 0 && byKind("drop") > 0 && byKind("error500") > 0);
    });
  },
  { only: "postgres" },
);
