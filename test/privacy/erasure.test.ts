import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestContext, type TestOrg, testEnv } from "../helpers/harness.ts";
import {
  type Simulator,
  startSimulator,
  syncCounts,
  waitSynced,
  waitUntil,
  webinarSetup,
} from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
testEnv.AUDITORIUM_QUOTA_PAUSE_SECONDS = "1";
after(() => sim.close());

const FORGET = "POST /client/{clientId}/forget";
const unique = () => Math.random().toString(36).slice(2, 10);

/** A person nobody else in the database resembles: their email and name are searchable markers. */
function person(tag: string) {
  const id = unique();
  return {
    firstName: `Zelda${id}`,
    lastName: `Quokka${tag}${id}`,
    email: `zelda.${tag}.${id}@example.com`,
    company: `Erasable Corp ${id}`,
  };
}

async function secondEvent(ctx: TestContext, org: TestOrg, configId: string) {
  const start = new Date(Date.now() + 2 * 3600_000);
  const res = await ctx.request("POST", "/api/v1/events", {
    token: org.tokens.marketer,
    body: {
      title: "Second webinar",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "webinar",
      webinarConfigurationId: configId,
    },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

/** Every base table of our schema and pg-boss's, as text, searched for each needle. */
async function traces(ctx: TestContext, needles: string[]) {
  const tables = await sql<{ schema: string; name: string }>`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
    WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE'`.execute(ctx.database.db);
  assert.ok(tables.rows.length > 15, "the scan sees the tables");
  const found: string[] = [];
  for (const t of tables.rows) {
    for (const needle of needles) {
      const hit = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM ${sql.table(`${t.schema}.${t.name}`)} AS x
        WHERE position(${needle.toLowerCase()} in lower(x::text)) > 0`.execute(ctx.database.db);
      if ((hit.rows[0]?.n ?? 0) > 0) found.push(`${t.schema}.${t.name}: ${needle}`);
    }
  }
  return found;
}

function simRegistrants(email: string) {
  return sim.state
    .registrantReport()
    .flatMap((e) => e.registrants)
    .filter((r) => r.originalEmail?.toLowerCase() === email.toLowerCase() || r.email === email);
}

async function erasureOf(ctx: TestContext, org: TestOrg, id: string) {
  const res = await ctx.request("GET", `/api/v1/erasures/${id}`, { token: org.tokens.admin });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

forEachBackend("privacy: erasure reaches ON24, export", (ctx) => {
  before(async () => {
    await ctx.services.syncWorker.start();
  });

  test("erasure of a person registered to two ON24 webinars leaves no local trace and forgets them at ON24", async () => {
    const org = await ctx.createOrg("erasure");
    const { configId, eventId } = await webinarSetup(ctx, org);
    const event2 = await secondEvent(ctx, org, configId);
    const zelda = person("erase");
    const bystander = person("keep");

    // Event 1 by API (with an idempotency key), event 2 by CSV import.
    const reg = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      headers: { "idempotency-key": `key-${unique()}` },
      body: { contact: zelda },
    });
    assert.equal(reg.status, 201, reg.text);
    const contactId = reg.body.contact.id as string;
    await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: bystander },
    });
    const imp = await ctx.request("POST", `/api/v1/events/${event2}/imports`, {
      token: org.tokens.marketer,
      raw: `email,first_name,last_name,company\r\n${zelda.email},${zelda.firstName},${zelda.lastName},${zelda.company}\r\n${bystander.email},${bystander.firstName},${bystander.lastName},Other\r\n`,
      headers: { "content-type": "text/csv" },
    });
    assert.equal(imp.status, 202, imp.text);
    await waitUntil("import done", async () => {
      const got = await ctx.request("GET", `/api/v1/imports/${imp.body.id}`, { token: org.tokens.viewer });
      return got.body.status === "completed";
    });
    await waitSynced(ctx, eventId, 2, "event 1 synced");
    await waitUntil("event 2 synced", async () => (await syncCounts(ctx, event2)).synced === 2);
    assert.equal(
      simRegistrants(zelda.email).filter((r) => r.userstatus === "active").length,
      2,
      "ON24 holds the person twice",
    );
    const forgetsBefore = sim.state.requestReport().byEndpoint[FORGET] ?? 0;
    // The scan below does find the person while they are here.
    const before = await traces(ctx, [zelda.email]);
    for (const table of ["public.contacts", "public.import_files", "public.idempotency_keys"])
      assert.ok(
        before.some((t) => t.startsWith(`${table}:`)),
        `${table} holds the person before: ${before}`,
      );

    // Marketers may not erase; another organization's admin does not find the contact.
    const other = await ctx.createOrg("other");
    for (const [token, status] of [
      [org.tokens.marketer, 403],
      [other.tokens.admin, 404],
    ] as const) {
      const refused = await ctx.request("DELETE", `/api/v1/contacts/${contactId}`, { token });
      assert.equal(refused.status, status, refused.text);
    }

    const erased = await ctx.request("DELETE", `/api/v1/contacts/${contactId}`, { token: org.tokens.admin });
    assert.equal(erased.status, 202, erased.text);
    assert.equal(erased.body.registrationsErased, 2);
    assert.equal(erased.body.providers.length, 1, "one provider erasure per provider account");
    assert.equal(erased.body.providers[0].configurationId, configId);
    for (const needle of [zelda.email, zelda.firstName, zelda.lastName])
      assert.ok(!erased.text.toLowerCase().includes(needle.toLowerCase()), "the erasure names nobody");

    // The local database holds no trace, right after the call (before the provider answers).
    assert.deepEqual(await traces(ctx, [zelda.email, zelda.firstName, zelda.lastName, zelda.company]), []);
    assert.equal(
      (await ctx.request("GET", `/api/v1/contacts/${contactId}`, { token: org.tokens.admin })).status,
      404,
    );
    // The bystander is untouched.
    const kept = await ctx.request("GET", `/api/v1/contacts?q=${encodeURIComponent(bystander.email)}`, {
      token: org.tokens.viewer,
    });
    assert.equal(kept.body.data.length, 1);
    assert.equal((await syncCounts(ctx, eventId)).synced, 1);

    const done = await waitUntil("erasure done", async () => {
      const e = await erasureOf(ctx, org, erased.body.id);
      return e.state === "done" ? e : null;
    });
    assert.equal(done.providers[0].state, "done");
    assert.equal(done.providers[0].lastError, null);
    assert.ok((sim.state.requestReport().byEndpoint[FORGET] ?? 0) > forgetsBefore, "ON24 received a forget");
    const atOn24 = simRegistrants(zelda.email);
    assert.equal(atOn24.length, 2);
    assert.ok(atOn24.every((r) => r.userstatus === "forgotten" && r.email.endsWith("-deleted")));
    const row = await ctx.database.db
      .selectFrom("provider_erasures")
      .select("sealed_email")
      .where("erasure_id", "=", erased.body.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.sealed_email, null, "the sealed address is wiped once the provider confirms");
    const list = await ctx.request("GET", "/api/v1/erasures", { token: org.tokens.admin });
    assert.equal(list.body.data[0].id, erased.body.id);
    assert.equal((await ctx.request("GET", "/api/v1/erasures", { token: org.tokens.marketer })).status, 403);
    // Everything the erasure left behind is free of the person too.
    assert.deepEqual(await traces(ctx, [zelda.email, zelda.firstName, zelda.lastName]), []);
  });

  test("a provider outage during erasure is retried until done and is visible meanwhile", async () => {
    const org = await ctx.createOrg("outage");
    const { eventId } = await webinarSetup(ctx, org);
    const zelda = person("outage");
    const reg = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: zelda },
    });
    assert.equal(reg.status, 201, reg.text);
    await waitSynced(ctx, eventId, 1, "synced");

    // ON24's forget endpoint answers 503 until the outage ends.
    for (let i = 0; i < 1000; i++)
      sim.state.scriptedFaults.push({ kind: "503", afterCommit: false, endpoint: FORGET });
    try {
      const erased = await ctx.request(
        "DELETE",
        `/api/v1/contacts/${reg.body.contact.id}?blockReimport=true`,
        {
          token: org.tokens.admin,
        },
      );
      assert.equal(erased.status, 202, erased.text);
      assert.equal(erased.body.reimportBlocked, true);
      const during = await waitUntil("failed attempts visible", async () => {
        const e = await erasureOf(ctx, org, erased.body.id);
        const p = e.providers[0];
        return p && p.attempts >= 2 && p.lastError ? e : null;
      });
      assert.equal(during.state, "pending");
      assert.equal(during.providers[0].state, "pending");
      assert.match(during.providers[0].lastError, /503/);
      assert.ok(!JSON.stringify(during).includes(zelda.email));
      assert.ok(simRegistrants(zelda.email).every((r) => r.userstatus === "active"));
      // Nothing local is kept while the provider is down, and what ON24 reports back meanwhile is not taken in.
      assert.deepEqual(await traces(ctx, [zelda.email, zelda.lastName]), []);
      assert.equal(await ctx.services.privacy.isSuppressed(org.id, zelda.email.toUpperCase()), true);

      sim.state.scriptedFaults.length = 0;
      const done = await waitUntil("erasure done after the outage", async () => {
        const e = await erasureOf(ctx, org, erased.body.id);
        return e.state === "done" ? e : null;
      });
      assert.ok(done.providers[0].attempts >= during.providers[0].attempts);
      assert.ok(simRegistrants(zelda.email).every((r) => r.userstatus === "forgotten"));
      // Re-import stays blocked (salted hash), while the provider-pending hash is gone.
      assert.equal(await ctx.services.privacy.isSuppressed(org.id, zelda.email), true);
      const pending = await ctx.database.db
        .selectFrom("provider_erasures")
        .select(["pending_hash", "sealed_email"])
        .where("erasure_id", "=", erased.body.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(pending, { pending_hash: null, sealed_email: null });
      // The organization chose to block re-import: the person cannot be registered again.
      const again = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
        token: org.tokens.marketer,
        body: { contact: zelda },
      });
      assert.equal(again.status, 422, again.text);
      assert.equal(again.body.error.code, "person_erased");
    } finally {
      sim.state.scriptedFaults.length = 0;
    }
  });

  test("access export: everything about the person, with what each provider received and when", async () => {
    const org = await ctx.createOrg("export");
    const { configId, eventId } = await webinarSetup(ctx, org);
    const zelda = person("export");
    const reg = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: zelda, consentText: "I agree to be contacted" },
    });
    assert.equal(reg.status, 201, reg.text);
    const contactId = reg.body.contact.id as string;
    await waitSynced(ctx, eventId, 1, "synced");

    const res = await ctx.request("GET", `/api/v1/contacts/${contactId}/export`, { token: org.tokens.admin });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.email, zelda.email);
    assert.equal(res.body.contacts[0].lastName, zelda.lastName);
    assert.equal(res.body.registrations.length, 1);
    assert.equal(res.body.registrations[0].event.id, eventId);
    assert.equal(res.body.registrations[0].status, "registered");
    const sent = res.body.providers[0];
    assert.equal(sent.provider, "on24");
    assert.equal(sent.configurationId, configId);
    assert.equal(sent.state, "synced");
    assert.ok(sent.providerRegistrantId);
    assert.ok(sent.syncedAt);
    assert.deepEqual(sent.fieldsSent, ["email", "firstName", "lastName", "company", "jobTitle"]);

    const csv = await ctx.request("GET", `/api/v1/contacts/${contactId}/export?format=csv`, {
      token: org.tokens.admin,
    });
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers["content-type"]), /text\/csv/);
    assert.match(csv.text, /^record,id,field,value\r\n/);
    assert.ok(csv.text.includes(`provider,${reg.body.id}/`));
    assert.ok(csv.text.includes(zelda.email));
    const exported = await ctx.database.db
      .selectFrom("audit_log")
      .select(["action", "target_id", "details"])
      .where("organization_id", "=", org.id)
      .where("action", "=", "contact.exported")
      .execute();
    assert.equal(exported.length, 2, "each export is in the audit log");
    assert.ok(exported.every((e) => e.target_id === contactId && !JSON.stringify(e).includes(zelda.email)));

    const other = await ctx.createOrg("export-other");
    const foreign = await ctx.request("GET", `/api/v1/contacts/${contactId}/export`, {
      token: other.tokens.admin,
    });
    assert.equal(foreign.status, 404);
    assert.ok(!foreign.text.includes(zelda.email));
    const marketer = await ctx.request("GET", `/api/v1/contacts/${contactId}/export`, {
      token: org.tokens.marketer,
    });
    assert.equal(marketer.status, 403);
  });
});
