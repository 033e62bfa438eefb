import assert from "node:assert/strict";
import { before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/**
 * `registrations.attended_minutes` is kept by statement triggers on `attendance` (migration
 * 0080): after any insert, update or delete — one row or thousands in one statement — every
 * registration's copy equals the sum over its attendance rows, across webinars.
 */
forEachBackend("attended minutes kept on the registration", (ctx) => {
  let org: TestOrg;
  let webinars: string[];
  let registrations: string[];

  before(async () => {
    const { db } = ctx.database;
    org = await ctx.createOrg("minutes");
    const events: string[] = [];
    for (const title of ["Minutes", "More minutes"]) {
      const event = await ctx.request("POST", "/api/v1/events", {
        token: org.tokens.marketer,
        body: {
          title,
          startsAt: "2030-06-01T09:00",
          endsAt: "2030-06-01T17:00",
          timeZone: "Europe/Oslo",
          format: "webinar",
        },
      });
      assert.equal(event.status, 201, event.text);
      events.push(event.body.id);
    }
    const configId = crypto.randomUUID();
    webinars = [crypto.randomUUID(), crypto.randomUUID()];
    await sql`insert into webinar_configurations (id, organization_id, provider, name, updated_at)
      values (${configId}, ${org.id}, 'on24', 'minutes', now())`.execute(db);
    for (const [i, id] of webinars.entries())
      await sql`insert into webinars (id, organization_id, configuration_id, event_id, state, updated_at)
        values (${id}, ${org.id}, ${configId}, ${events[i]}, 'provisioned', now())`.execute(db);
    const { rows } = await sql<{ id: string }>`
      with c as (
        insert into contacts (id, organization_id, first_name, last_name, email, email_normalized, updated_at)
        select gen_random_uuid(), ${org.id}, 'F', 'L' || i, 'm' || i || '@example.com', 'm' || i || '@example.com', now()
        from generate_series(1, 300) i returning id)
      insert into registrations (id, organization_id, event_id, contact_id, status, source, updated_at)
      select gen_random_uuid(), ${org.id}, ${events[0]}, c.id, 'registered', 'import', now() from c
      returning id`.execute(db);
    registrations = rows.map((r) => r.id);
  });

  /** Registrations whose copy differs from the sum over their attendance. */
  async function drift(): Promise<number> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from registrations r
      where r.organization_id = ${org.id} and r.attended_minutes <> coalesce(
        (select sum(a.live_minutes + a.on_demand_minutes) from attendance a where a.registration_id = r.id), 0)`.execute(
      ctx.database.db,
    );
    return rows[0]?.n ?? -1;
  }
  const total = async () =>
    (
      await sql<{ n: number }>`select coalesce(sum(attended_minutes), 0)::int as n from registrations
        where organization_id = ${org.id}`.execute(ctx.database.db)
    ).rows[0]?.n;

  test("a many-row insert, then single rows on a second webinar", async () => {
    const { db } = ctx.database;
    await sql`insert into attendance (registration_id, webinar_id, organization_id, live_minutes, on_demand_minutes)
      select id, ${webinars[0]}, ${org.id}, 10, 5 from unnest(${registrations}::uuid[]) id`.execute(db);
    assert.equal(await total(), 300 * 15);
    for (const id of registrations.slice(0, 3))
      await sql`insert into attendance (registration_id, webinar_id, organization_id, live_minutes)
        values (${id}, ${webinars[1]}, ${org.id}, 7)`.execute(db);
    assert.equal(await total(), 300 * 15 + 3 * 7);
    assert.equal(await drift(), 0);
  });

  test("updates of minutes and of the registration a row belongs to", async () => {
    const { db } = ctx.database;
    await sql`update attendance set live_minutes = live_minutes + 1 where webinar_id = ${webinars[0]}`.execute(
      db,
    );
    assert.equal(await total(), 300 * 16 + 3 * 7);
    await sql`update attendance set registration_id = ${registrations[299]}
      where registration_id = ${registrations[0]} and webinar_id = ${webinars[1]}`.execute(db);
    assert.equal(await drift(), 0);
    assert.equal(await total(), 300 * 16 + 3 * 7);
  });

  test("deletes bring the copy back to what is left, or to zero", async () => {
    const { db } = ctx.database;
    await sql`delete from attendance where webinar_id = ${webinars[0]}`.execute(db);
    assert.equal(await drift(), 0);
    assert.equal(await total(), 3 * 7);
    await sql`delete from attendance where organization_id = ${org.id}`.execute(db);
    assert.equal(await total(), 0);
  });
});
