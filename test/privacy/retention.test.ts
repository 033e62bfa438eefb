import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { before, test } from "node:test";
import { sql } from "kysely";
import { uuidv7 } from "../../src/lib/ids.ts";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

/**
 * Retention (issue 7, item 3): "Retention deletes exactly the expired rows, in batches, and
 * leaves pending work alone." Rows are inserted directly with known ages.
 */

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const unique = () => Math.random().toString(36).slice(2, 10);

/** One organization's data: events that ended 100, 45 and 5 days ago, with known rows. */
async function seed(ctx: TestContext, org: TestOrg) {
  const { db } = ctx.database;
  const event = async (endedDaysAgo: number) => {
    const id = uuidv7();
    const ends = ago(endedDaysAgo);
    await db
      .insertInto("events")
      .values({
        id,
        organization_id: org.id,
        title: `Ended ${endedDaysAgo} days ago`,
        description: "",
        starts_at: new Date(ends.getTime() - 3600_000),
        ends_at: ends,
        time_zone: "Europe/Oslo",
        format: "webinar",
        language: "en",
        slug: `retention-${unique()}`,
        registration_fields: "{}",
        updated_at: ends,
      })
      .execute();
    return id;
  };
  const old = await event(100);
  const mid = await event(45);
  const recent = await event(5);
  const importing = await event(100);

  const configId = uuidv7();
  await db
    .insertInto("webinar_configurations")
    .values({
      id: configId,
      organization_id: org.id,
      provider: "on24",
      name: "Retention account",
      settings: "{}",
      updated_at: new Date(),
    })
    .execute();
  const webinarOf: Record<string, string> = {};
  for (const eventId of [old, mid, recent, importing]) {
    webinarOf[eventId] = uuidv7();
    await db
      .insertInto("webinars")
      .values({
        id: webinarOf[eventId],
        organization_id: org.id,
        configuration_id: configId,
        event_id: eventId,
        updated_at: new Date(),
      })
      .execute();
  }

  const emails: Record<string, string> = {};
  const registration = async (eventId: string) => {
    const contactId = uuidv7();
    const email = `retention-${unique()}@example.com`;
    await db
      .insertInto("contacts")
      .values({
        id: contactId,
        organization_id: org.id,
        first_name: "Reta",
        last_name: "Tention",
        email,
        email_normalized: email,
        updated_at: new Date(),
      })
      .execute();
    const id = uuidv7();
    await db
      .insertInto("registrations")
      .values({
        id,
        organization_id: org.id,
        event_id: eventId,
        contact_id: contactId,
        status: "registered",
        source: "api",
        created_at: ago(120),
        updated_at: ago(120),
      })
      .execute();
    emails[id] = email;
    return id;
  };
  const sync = (
    registrationId: string,
    eventId: string,
    state: "pending" | "synced" | "held",
    lease?: Date,
  ) =>
    db
      .insertInto("registration_syncs")
      .values({
        registration_id: registrationId,
        webinar_id: webinarOf[eventId] as string,
        organization_id: org.id,
        configuration_id: configId,
        state,
        lease_until: lease ?? null,
        updated_at: new Date(),
      })
      .execute();
  const attend = (registrationId: string, eventId: string) =>
    db
      .insertInto("attendance")
      .values({
        registration_id: registrationId,
        webinar_id: webinarOf[eventId] as string,
        organization_id: org.id,
        live_minutes: 30,
        on_demand_minutes: 0,
        questions_asked: 0,
        polls_answered: 0,
        resources_downloaded: 0,
        updated_at: new Date(),
      })
      .execute();
  const checkIn = (registrationId: string, eventId: string) =>
    db
      .insertInto("check_ins")
      .values({
        id: uuidv7(),
        organization_id: org.id,
        event_id: eventId,
        registration_id: registrationId,
        kind: "webinar",
        checked_in_at: ago(100),
      })
      .execute();

  // The old event: six expired registrations (one with a finished sync) ...
  const expired: string[] = [];
  for (let i = 0; i < 5; i++) expired.push(await registration(old));
  const synced = await registration(old);
  await sync(synced, old, "synced");
  expired.push(synced);
  // ... and four with pending work.
  const pendingSync = await registration(old);
  await sync(pendingSync, old, "pending");
  const held = await registration(old);
  await sync(held, old, "held");
  const leased = await registration(old);
  await sync(leased, old, "synced", new Date(Date.now() + 10 * 60_000));
  const erasing = await registration(old);
  // An event as old, with an import still running: its registration stays.
  const imported = await registration(importing);
  await db
    .insertInto("imports")
    .values({
      id: uuidv7(),
      organization_id: org.id,
      event_id: importing,
      status: "running",
      file_name: "late.csv",
      total_rows: 10,
      processed_rows: 5,
      succeeded_rows: 5,
      failed_rows: 0,
      created_by: org.ownerId,
    })
    .execute();
  // Younger than the registration period.
  const midRegs = [await registration(mid), await registration(mid)];
  const recentRegs = [await registration(recent)];

  // Attendance: two expired on the old event, one on a held registration (kept), two on the
  // mid event (expired for attendance), one recent. Check-ins likewise.
  await attend(expired[0] as string, old);
  await attend(expired[1] as string, old);
  await attend(held, old);
  await attend(midRegs[0] as string, mid);
  await attend(midRegs[1] as string, mid);
  await attend(recentRegs[0] as string, recent);
  await checkIn(expired[2] as string, old);
  await checkIn(midRegs[0] as string, mid);
  await checkIn(recentRegs[0] as string, recent);
  await checkIn(pendingSync, old);

  // Audit entries: three old, two young.
  const auditEntry = (daysAgo: number) =>
    db
      .insertInto("audit_log")
      .values({
        id: uuidv7(),
        organization_id: org.id,
        actor_user_id: org.ownerId,
        actor_kind: "user",
        action: "organization.updated",
        target_type: "organization",
        details: "{}",
        created_at: ago(daysAgo),
      })
      .execute();
  for (const d of [40, 30, 20]) await auditEntry(d);
  for (const d of [5, 1]) await auditEntry(d);

  return {
    expired,
    pending: [pendingSync, held, leased, erasing, imported],
    erasing,
    emailOf: (id: string) => emails[id] as string,
    kept: [pendingSync, held, leased, erasing, imported, ...midRegs, ...recentRegs],
  };
}

forEachBackend("privacy: retention", (ctx) => {
  let org: TestOrg;
  let other: TestOrg;
  let data: Awaited<ReturnType<typeof seed>>;

  const counts = async (organizationId: string) => {
    const { db } = ctx.database;
    const n = async (table: "registrations" | "attendance" | "check_ins" | "audit_log") =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("organization_id", "=", organizationId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      registrations: await n("registrations"),
      attendance: await n("attendance"),
      checkIns: await n("check_ins"),
      audit: await n("audit_log"),
    };
  };

  before(async () => {
    org = await ctx.createOrg("Retention org");
    other = await ctx.createOrg("Other org");
    data = await seed(ctx, org);
    await seed(ctx, other);
  });

  test("settings default to keep forever; admins set them, viewers and marketers cannot", async () => {
    const initial = await ctx.request("GET", "/api/v1/privacy/retention", { token: org.tokens.admin });
    assert.equal(initial.status, 200, initial.text);
    assert.deepEqual(initial.body, { registrationsDays: null, attendanceDays: null, auditDays: null });

    const body = { registrationsDays: 60, attendanceDays: 30, auditDays: 10 };
    for (const role of ["viewer", "marketer"] as const) {
      const refused = await ctx.request("PUT", "/api/v1/privacy/retention", {
        token: org.tokens[role],
        body,
      });
      assert.equal(refused.status, 403, refused.text);
      const read = await ctx.request("GET", "/api/v1/privacy/retention", { token: org.tokens[role] });
      assert.equal(read.status, 403, read.text);
    }
    const zero = await ctx.request("PUT", "/api/v1/privacy/retention", {
      token: org.tokens.admin,
      body: { ...body, auditDays: 0 },
    });
    assert.equal(zero.status, 400, zero.text);

    const set = await ctx.request("PUT", "/api/v1/privacy/retention", { token: org.tokens.admin, body });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body, body);
    const read = await ctx.request("GET", "/api/v1/privacy/retention", { token: org.tokens.admin });
    assert.deepEqual(read.body, body);
    const entry = await ctx.database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("organization_id", "=", org.id)
      .where("action", "=", "privacy.retention_changed")
      .execute();
    assert.equal(entry.length, 1);

    // A salt exists now: one person has a provider erasure under way (hash of their address).
    const { hash_salt } = await ctx.database.db
      .selectFrom("privacy_settings")
      .select("hash_salt")
      .where("organization_id", "=", org.id)
      .executeTakeFirstOrThrow();
    const erasureId = uuidv7();
    await ctx.database.db
      .insertInto("erasures")
      .values({ id: erasureId, organization_id: org.id, requested_by: null, email_hash: null })
      .execute();
    const configId = (
      await ctx.database.db
        .selectFrom("webinar_configurations")
        .select("id")
        .where("organization_id", "=", org.id)
        .executeTakeFirstOrThrow()
    ).id;
    await ctx.database.db
      .insertInto("provider_erasures")
      .values({
        id: uuidv7(),
        organization_id: org.id,
        erasure_id: erasureId,
        configuration_id: configId,
        provider: "on24",
        last_error: null,
        pending_hash: createHmac("sha256", Buffer.from(hash_salt, "base64"))
          .update(data.emailOf(data.erasing))
          .digest("hex"),
        lease_until: null,
        last_attempt_at: null,
        alerted_at: null,
        completed_at: null,
        updated_at: new Date(),
      })
      .execute();
  });

  test("a dry run reports exact counts and deletes nothing", async () => {
    const before = await counts(org.id);
    const beforeOther = await counts(other.id);
    const res = await ctx.request("POST", "/api/v1/privacy/retention/sweep?dryRun=true", {
      token: org.tokens.admin,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.dryRun, true);
    assert.deepEqual(
      {
        registrations: res.body.registrations,
        attendance: res.body.attendance,
        checkIns: res.body.checkIns,
        auditEntries: res.body.auditEntries,
      },
      { registrations: 6, attendance: 4, checkIns: 2, auditEntries: 3 },
    );
    const after = await counts(org.id);
    // The dry run itself is an admin call: one audit entry more, nothing less.
    assert.deepEqual(after, { ...before, audit: before.audit + 1 });
    assert.deepEqual(await counts(other.id), beforeOther);

    const viewer = await ctx.request("POST", "/api/v1/privacy/retention/sweep?dryRun=true", {
      token: org.tokens.viewer,
    });
    assert.equal(viewer.status, 403);
  });

  test("the sweep deletes exactly the expired rows, in batches, and leaves pending work alone", async () => {
    const before = await counts(org.id);
    const beforeOther = await counts(other.id);
    const result = await ctx.services.retention.sweep(org.id, { batchSize: 2 });
    assert.deepEqual(
      {
        registrations: result.registrations,
        attendance: result.attendance,
        checkIns: result.checkIns,
        auditEntries: result.auditEntries,
      },
      { registrations: 6, attendance: 4, checkIns: 2, auditEntries: 3 },
    );
    // 4 attendance rows in 2 batches, 2 check-ins in 1, 6 registrations in at least 3, 3 audit entries in 2.
    assert.ok(result.batches >= 8, `batches: ${result.batches}`);

    const { db } = ctx.database;
    const left = await db
      .selectFrom("registrations")
      .select("id")
      .where("organization_id", "=", org.id)
      .execute();
    const ids = new Set(left.map((r) => r.id));
    for (const id of data.expired) assert.ok(!ids.has(id), `expired registration ${id} still there`);
    for (const id of data.kept) assert.ok(ids.has(id), `registration ${id} was deleted`);
    assert.equal(ids.size, data.kept.length);
    // The pending syncs are still there with their registrations.
    const syncs = await db
      .selectFrom("registration_syncs")
      .select(["registration_id", "state"])
      .where("organization_id", "=", org.id)
      .execute();
    assert.deepEqual(syncs.map((s) => s.state).sort(), ["held", "pending", "synced"]);

    const after = await counts(org.id);
    assert.deepEqual(after, {
      registrations: before.registrations - 6,
      // The held registration's attendance and the recent one stay.
      attendance: 2,
      // The pending registration's check-in and the recent one stay.
      checkIns: 2,
      audit: before.audit - 3,
    });
    const audit = await db
      .selectFrom("audit_log")
      .select("created_at")
      .where("organization_id", "=", org.id)
      .execute();
    for (const e of audit)
      assert.ok(e.created_at.getTime() > ago(10).getTime(), "an old audit entry survived");
    assert.deepEqual(await counts(other.id), beforeOther, "another organization's data changed");

    // The audit log still refuses deletes outside the sweep.
    await assert.rejects(sql`DELETE FROM audit_log WHERE organization_id = ${org.id}`.execute(db));

    // Nothing is left to sweep; once the work is no longer pending, it goes too.
    const again = await ctx.request("POST", "/api/v1/privacy/retention/sweep", { token: org.tokens.admin });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(
      [
        again.body.dryRun,
        again.body.registrations,
        again.body.attendance,
        again.body.checkIns,
        again.body.auditEntries,
      ],
      [false, 0, 0, 0, 0],
    );
    await db
      .updateTable("registration_syncs")
      .set({ state: "synced", lease_until: null })
      .where("organization_id", "=", org.id)
      .execute();
    const released = await ctx.services.retention.sweep(org.id, { batchSize: 2 });
    assert.equal(released.registrations, 3);
  });

  test("the scheduled sweep covers organizations with settings and leaves the others alone", async () => {
    const beforeOther = await counts(other.id);
    const results = await ctx.services.retention.sweepAll({ batchSize: 2 });
    assert.ok(!results.some((r) => r.organizationId === other.id));
    assert.deepEqual(await counts(other.id), beforeOther);
  });

  test("a scheduled sweep that dies midway has already written its audit entry", async () => {
    const crashing = await ctx.createOrg("Crashing sweep org");
    await seed(ctx, crashing);
    await ctx.services.retention.setSettings(crashing.id, {
      registrationsDays: 30,
      attendanceDays: 30,
      auditDays: null,
    });
    const before = await counts(crashing.id);
    const due = await ctx.services.retention.sweep(crashing.id, { dryRun: true });
    assert.ok(due.registrations > 0 && due.attendance > 0);
    // Attendance goes first, in its own committed batches; then the registrations' delete dies.
    await sql
      .raw(`CREATE FUNCTION die_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF OLD.organization_id = '${crashing.id}' THEN RAISE EXCEPTION 'killed mid-sweep'; END IF;
        RETURN OLD; END $$`)
      .execute(ctx.database.db);
    await sql
      .raw(
        "CREATE TRIGGER die_on_delete BEFORE DELETE ON registrations FOR EACH ROW EXECUTE FUNCTION die_on_delete()",
      )
      .execute(ctx.database.db);
    try {
      await assert.rejects(ctx.services.retention.sweepAll({ batchSize: 2 }), /killed mid-sweep/);
    } finally {
      await sql.raw("DROP TRIGGER die_on_delete ON registrations").execute(ctx.database.db);
      await sql.raw("DROP FUNCTION die_on_delete()").execute(ctx.database.db);
    }
    const after = await counts(crashing.id);
    assert.ok(after.attendance < before.attendance, "some batches were deleted before the crash");
    const entries = await ctx.database.db
      .selectFrom("audit_log")
      .select(["action", "details"])
      .where("organization_id", "=", crashing.id)
      .where("action", "=", "privacy.retention_swept")
      .execute();
    assert.equal(entries.length, 1, "the deletions that happened are in the audit log");
    assert.equal(
      (entries[0]?.details as { registrations?: number } | undefined)?.registrations,
      due.registrations,
    );
  });
});
