import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, webinarSetup } from "./fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

class RolledBack extends Error {}

/**
 * The transactional outbox: a registration's sync job is written by pg-boss in the
 * registration's own transaction (planner.registrationsChanged → queue.sendMany), so the job
 * exists exactly when the registration commits. No worker runs here, so every job stays
 * queued and can be counted.
 */
forEachBackend("transactional outbox", (ctx) => {
  let orgId: string;
  let eventId: string;
  before(async () => {
    const org = await ctx.createOrg("outbox");
    orgId = org.id;
    ({ eventId } = await webinarSetup(ctx, org));
  });

  const jobsOf = async (registrationId: string) => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job
      WHERE name = 'registration.sync' AND singleton_key LIKE ${`%:${registrationId}`}`.execute(
      ctx.database.db,
    );
    return rows[0]?.n ?? 0;
  };
  const allSyncJobs = async () => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'registration.sync'`.execute(ctx.database.db);
    return rows[0]?.n ?? 0;
  };
  const register = (email: string) =>
    ctx.database.db.transaction().execute(async (trx) => {
      const { registration } = await ctx.services.registrations.registerIn(trx, orgId, eventId, {
        contact: { firstName: "Out", lastName: "Box", email },
        sessionIds: [],
        source: "api",
      });
      return { registrationId: registration.id };
    });

  test("a committed registration leaves exactly one sync job", async () => {
    const { registrationId } = await register("committed@example.com");
    assert.equal(await jobsOf(registrationId), 1);
  });

  test("a registration whose transaction rolls back leaves no job, no sync row and no registration", async () => {
    const before = await allSyncJobs();
    let registrationId = "";
    await assert.rejects(
      ctx.database.db.transaction().execute(async (trx) => {
        const { registration } = await ctx.services.registrations.registerIn(trx, orgId, eventId, {
          contact: { firstName: "Rolled", lastName: "Back", email: "rolled-back@example.com" },
          sessionIds: [],
          source: "api",
        });
        registrationId = registration.id;
        // Inside the transaction the job is there, written beside the registration…
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pgboss.job
          WHERE name = 'registration.sync' AND singleton_key LIKE ${`%:${registrationId}`}`.execute(trx);
        assert.equal(rows[0]?.n, 1);
        // …and a later step of the same transaction fails.
        throw new RolledBack("a later step failed");
      }),
      RolledBack,
    );
    assert.ok(registrationId);
    assert.equal(await jobsOf(registrationId), 0);
    assert.equal(await allSyncJobs(), before);
    const syncRows = await ctx.database.db
      .selectFrom("registration_syncs")
      .select("registration_id")
      .where("registration_id", "=", registrationId)
      .execute();
    assert.equal(syncRows.length, 0);
    const regs = await ctx.database.db
      .selectFrom("registrations")
      .select("id")
      .where("id", "=", registrationId)
      .execute();
    assert.equal(regs.length, 0);
  });
});
