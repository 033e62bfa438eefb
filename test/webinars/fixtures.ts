import { startOn24Simulator } from "../../simulators/on24/server.ts";
import type { TestContext, TestOrg } from "../helpers/harness.ts";
import { webinarEvent } from "../helpers/webinar-setup.ts";

/** The ON24 account the simulator knows and our configurations use in tests. */
export const ON24_ACCOUNT = {
  clientId: "4242",
  accessTokenKey: "KEY-test-4242",
  accessTokenSecret: "SECRET-do-not-leak-4242",
};

export async function startSimulator(knobs: Record<string, unknown> = {}) {
  return startOn24Simulator({
    accounts: [
      {
        clientId: Number(ON24_ACCOUNT.clientId),
        accessTokenKey: ON24_ACCOUNT.accessTokenKey,
        accessTokenSecret: ON24_ACCOUNT.accessTokenSecret,
      },
    ],
    seed: 11,
    knobs: { publicationLagMs: 0, ...knobs },
  });
}

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/** Terms accepted, an ON24 configuration, and a published webinar-format event whose webinar is the event itself (no session). */
export async function webinarSetup(
  ctx: TestContext,
  org: TestOrg,
  options: { requestsPerSecond?: number; capacity?: number | null } = {},
) {
  const start = new Date(Date.now() + 3600_000);
  return webinarEvent(ctx, org, {
    provider: "on24",
    name: "ON24",
    settings: { region: "NA" },
    requestsPerSecond: options.requestsPerSecond ?? 200,
    credentials: ON24_ACCOUNT,
    event: {
      endsAt: new Date(start.getTime() + 2 * 3600_000).toISOString(),
      capacity: options.capacity ?? null,
    },
  });
}

export async function registerMany(
  ctx: TestContext,
  org: TestOrg,
  eventId: string,
  count: number,
  prefix = "p",
) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, count - i) }, (_, j) =>
        ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
          token: org.tokens.marketer,
          body: {
            contact: {
              firstName: `F${i + j}`,
              lastName: "Tester",
              email: `${prefix}${i + j}@example.com`,
              company: "Acme",
            },
          },
        }),
      ),
    );
    for (const res of batch) {
      if (res.status !== 201) throw new Error(`registration: ${res.status} ${res.text}`);
      ids.push(res.body.id);
    }
  }
  return ids;
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function syncCounts(ctx: TestContext, eventId: string) {
  const rows = await ctx.database.db
    .selectFrom("registration_syncs as s")
    .innerJoin("registrations as r", "r.id", "s.registration_id")
    .select(["s.state"])
    .where("r.event_id", "=", eventId)
    .execute();
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

/** Creates registrations through the service (faster than HTTP), 50 at a time. */
export async function createRegistrations(
  ctx: TestContext,
  org: TestOrg,
  eventId: string,
  count: number,
  prefix: string,
) {
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) =>
        ctx.services.registrations.register(org.id, eventId, {
          contact: {
            firstName: `W${i + j}`,
            lastName: "Drain",
            email: `${prefix}${i + j}@example.com`,
            company: "Acme",
          },
          sessionIds: [],
          source: "api",
        }),
      ),
    );
  }
}

/** The id of the event's one webinar. */
export async function webinarIdOf(ctx: TestContext, eventId: string): Promise<string> {
  const webinar = await ctx.database.db
    .selectFrom("webinars")
    .select("id")
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  return webinar.id;
}

/** What the simulator holds for the event's webinar: registrants and how often each was created. */
export async function providerReport(ctx: TestContext, sim: Simulator, eventId: string) {
  const w = await ctx.database.db
    .selectFrom("webinars")
    .select("provider_webinar_id")
    .where("event_id", "=", eventId)
    .executeTakeFirstOrThrow();
  const report = sim.state.registrantReport(Number(w.provider_webinar_id))[0];
  if (!report) throw new Error(`the simulator has no webinar ${w.provider_webinar_id}`);
  return { ...report, duplicates: report.registrants.filter((r) => r.createCount !== 1).length };
}

/**
 * Waits until `n` of the event's registrations are synced. On timeout the error tells where
 * the rest are (counts by state, and the attempts and last error of a few), so a failure on CI
 * explains itself.
 */
export async function waitSynced(
  ctx: TestContext,
  eventId: string,
  n: number,
  what = "all synced",
  timeoutMs = 60_000,
) {
  let counts: Record<string, number> = {};
  try {
    await waitUntil(
      what,
      async () => {
        counts = await syncCounts(ctx, eventId);
        return counts.synced === n;
      },
      timeoutMs,
    );
  } catch (error) {
    const rest = await ctx.database.db
      .selectFrom("registration_syncs as s")
      .innerJoin("registrations as r", "r.id", "s.registration_id")
      .select(["s.state", "s.attempts", "s.last_error"])
      .where("r.event_id", "=", eventId)
      .where("s.state", "!=", "synced")
      .limit(5)
      .execute();
    throw new Error(
      `${(error as Error).message} (${n} wanted): ${JSON.stringify(counts)}; ${JSON.stringify(rest)}`,
    );
  }
}
