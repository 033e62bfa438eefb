import assert from "node:assert/strict";
import { afterEach, before, test } from "node:test";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { uuidv7 } from "../../src/lib/ids.ts";
import { draftEvent } from "../helpers/events.ts";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

const eventBody = {
  title: "Conference",
  startsAt: "2026-09-01T09:00",
  endsAt: "2026-09-01T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
};

async function makeEvent(ctx: TestContext, org: TestOrg) {
  return (await draftEvent(ctx, org, eventBody)).id;
}

async function makeSession(ctx: TestContext, org: TestOrg, eventId: string) {
  const res = await ctx.request("POST", `/api/v1/events/${eventId}/sessions`, {
    token: org.tokens.marketer,
    body: { title: "Track", startsAt: "2026-09-01T10:00", endsAt: "2026-09-01T11:00" },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

const upload = (
  ctx: TestContext,
  token: string,
  eventId: string,
  csv: string | Buffer,
  query = "",
  contentType = "text/csv",
) =>
  ctx.request("POST", `/api/v1/events/${eventId}/imports${query}`, {
    token,
    raw: csv,
    headers: { "content-type": contentType },
  });

/** Every registration of an event, through the paginated API. */
async function allRegistrations(ctx: TestContext, token: string, eventId: string) {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/v1/events/${eventId}/registrations?limit=500${cursor ? `&cursor=${cursor}` : ""}`;
    const res = await ctx.request("GET", url, { token });
    assert.equal(res.status, 200, res.text);
    out.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

const csv = (rows: string[][]) => stringify(rows);
const HEADER = ["Email", "First Name", "last_name", "Company", "job title", "Sessions"];

forEachBackend("imports and export", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg("imports");
  });
  // Tests below stop the runner to observe it; never leave it stopped for the next one.
  afterEach(async () => {
    await ctx.services.imports.resumeUnfinished();
  });

  test("a 1,000-row import with bad rows: exact counts, error report rows, observable progress", async () => {
    const eventId = await makeEvent(ctx, org);
    const s1 = await makeSession(ctx, org, eventId);
    const s2 = await makeSession(ctx, org, eventId);
    const pre = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: { firstName: "Pre", lastName: "Registered", email: "person900@example.com" } },
    });
    assert.equal(pre.status, 201, pre.text);

    // Bad rows by data-row index: which cell to spoil with what, and the field the report must name.
    const spoil: Record<number, [cell: number, value: string, field: string]> = {
      10: [0, "not-an-email", "Email"],
      20: [2, "", "last_name"],
      30: [0, "PERSON1@example.com", "Email"], // the same person as data row 1
      40: [1, "x".repeat(10_000), "First Name"],
      50: [5, uuidv7(), "Sessions"], // a well-formed id of no session
      60: [5, "not-a-session", "Sessions"],
      // A quoted line break is one record (later row numbers do not shift) but not a valid company.
      5: [3, "Acme, Inc.\nNordic", "Company"],
    };
    const rows: string[][] = [HEADER];
    const expected = new Map<number, string>(); // spreadsheet row (header = 1) → field
    for (let i = 1; i <= 1000; i++) {
      const row = [`person${i}@example.com`, "Grace", `Hopper${i}`, "Acme", "", ""];
      if (i % 7 === 0) row[5] = `${s2};${s1}`;
      const bad = spoil[i];
      if (bad) {
        row[bad[0]] = bad[1];
        expected.set(i + 1, bad[2]);
      }
      rows.push(row);
    }
    expected.set(901, "Email"); // registered through the API before the import
    // A row with missing fields: refused without shifting the other rows' numbers.
    const short = "person72@example.com,Grace,Hopper72,Acme,,\n";
    assert.ok(csv(rows).includes(short));
    const body = csv(rows).replace(short, "person72@example.com,Grace\n");
    expected.set(73, "");

    await ctx.services.imports.stop();
    const created = await upload(ctx, org.tokens.marketer, eventId, body, "?fileName=attendees.csv");
    assert.equal(created.status, 202, created.text);
    assert.equal(created.body.status, "pending");
    assert.equal(created.body.totalRows, 1000);
    assert.equal(created.body.fileName, "attendees.csv");
    const id = created.body.id as string;

    assert.equal(await ctx.services.imports.processBatch(id), true, "rows remain after one batch");
    const mid = await ctx.request("GET", `/api/v1/imports/${id}`, { token: org.tokens.viewer });
    assert.equal(mid.body.status, "running");
    assert.equal(mid.body.processedRows, 200);
    assert.equal(mid.body.succeededRows + mid.body.failedRows, 200);

    await ctx.services.imports.resumeUnfinished();
    await ctx.services.imports.whenIdle();
    const done = await ctx.request("GET", `/api/v1/imports/${id}`, { token: org.tokens.viewer });
    assert.equal(done.body.status, "completed", done.text);
    assert.equal(done.body.processedRows, 1000);
    assert.equal(done.body.failedRows, expected.size);
    assert.equal(done.body.succeededRows, 1000 - expected.size);
    assert.ok(done.body.finishedAt);

    const report = await ctx.request("GET", `/api/v1/imports/${id}/errors.csv`, { token: org.tokens.viewer });
    assert.equal(report.status, 200);
    assert.match(String(report.headers["content-type"]), /^text\/csv/);
    const [head, ...errors] = parse(report.text) as string[][];
    assert.deepEqual(head, ["row", "field", "message"]);
    assert.deepEqual(
      errors.map((e) => [Number(e[0]), e[1]]),
      [...expected.entries()].sort((a, b) => a[0] - b[0]),
    );
    const byRow = new Map(errors.map((e) => [Number(e[0]), e[2] ?? ""]));
    assert.match(byRow.get(21) ?? "", /required/);
    assert.match(byRow.get(31) ?? "", /already registered/);
    assert.match(byRow.get(51) ?? "", /session/i);

    const regs = await allRegistrations(ctx, org.tokens.viewer, eventId);
    const imported = regs.filter((r) => r.source === "import");
    assert.equal(imported.length, 1000 - expected.size);
    assert.equal(new Set(regs.map((r) => r.contact.email.toLowerCase())).size, regs.length, "no one twice");
    const p7 = imported.find((r) => r.contact.email === "person7@example.com");
    assert.deepEqual(p7?.sessionIds, [s1, s2].sort());
    assert.equal(imported.find((r) => r.contact.email === "person4@example.com")?.contact.company, "Acme");

    const list = await ctx.request("GET", `/api/v1/events/${eventId}/imports`, { token: org.tokens.viewer });
    assert.deepEqual(
      list.body.data.map((i: { id: string }) => i.id),
      [id],
    );

    // The export carries every registration, sessions included.
    const exported = await ctx.request("GET", `/api/v1/events/${eventId}/registrations.csv`, {
      token: org.tokens.viewer,
    });
    const records = parse(exported.text, { columns: true }) as Record<string, string>[];
    assert.equal(records.length, regs.length);
    assert.equal(records.find((r) => r.email === "person7@example.com")?.sessions, [s1, s2].sort().join(";"));
  });

  test("resume continues from processed_rows and never registers a row twice", async () => {
    const eventId = await makeEvent(ctx, org);
    const people = Array.from({ length: 6 }, (_, i) => [`resume${i}@example.com`, "Rita", `Resume${i}`]);
    // The crash happened after the batch with the first three rows committed.
    for (const [email, first, last] of people.slice(0, 3)) {
      const res = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
        token: org.tokens.marketer,
        body: { contact: { email, firstName: first, lastName: last } },
      });
      assert.equal(res.status, 201);
    }
    const id = uuidv7();
    const { db } = ctx.database;
    await db
      .insertInto("imports")
      .values({
        id,
        organization_id: org.id,
        event_id: eventId,
        status: "running",
        file_name: "crashed.csv",
        total_rows: 6,
        processed_rows: 3,
        succeeded_rows: 3,
        failed_rows: 0,
        created_by: org.ownerId,
      })
      .execute();
    await db
      .insertInto("import_files")
      .values({ import_id: id, content: csv([["email", "first_name", "last_name"], ...people]) })
      .execute();

    const resumed = await ctx.services.imports.resumeUnfinished();
    assert.ok(resumed.includes(id));
    await ctx.services.imports.whenIdle();
    const done = await ctx.request("GET", `/api/v1/imports/${id}`, { token: org.tokens.viewer });
    assert.equal(done.body.status, "completed");
    assert.equal(done.body.succeededRows, 6);
    assert.equal(done.body.failedRows, 0, "the first three rows were not tried again");
    const regs = await allRegistrations(ctx, org.tokens.viewer, eventId);
    assert.equal(regs.length, 6);
    assert.equal(regs.filter((r) => r.source === "import").length, 3);
  });

  test("two runners on one import take different batches", async () => {
    const eventId = await makeEvent(ctx, org);
    const rows = Array.from({ length: 450 }, (_, i) => [`twice${i}@example.com`, "Tom", `Twice${i}`]);
    await ctx.services.imports.stop();
    const created = await upload(
      ctx,
      org.tokens.marketer,
      eventId,
      csv([["email", "first_name", "last_name"], ...rows]),
    );
    assert.equal(created.status, 202);
    const id = created.body.id;
    await Promise.all([ctx.services.imports.processBatch(id), ctx.services.imports.processBatch(id)]);
    const mid = await ctx.request("GET", `/api/v1/imports/${id}`, { token: org.tokens.viewer });
    assert.equal(mid.body.processedRows, 400);
    assert.equal(mid.body.failedRows, 0, "no row was registered twice");
    await ctx.services.imports.resumeUnfinished();
    await ctx.services.imports.whenIdle();
    const done = await ctx.request("GET", `/api/v1/imports/${id}`, { token: org.tokens.viewer });
    assert.deepEqual(
      [done.body.status, done.body.succeededRows, done.body.failedRows],
      ["completed", 450, 0],
    );
  });

  test("export round-trips through import and neutralises formula cells", async () => {
    const source = await makeEvent(ctx, org);
    const people = [
      {
        firstName: '=HYPERLINK("http://evil")',
        lastName: "+Plus",
        email: "formula@example.com",
        company: "@corp",
        jobTitle: "-lead",
      },
      {
        firstName: "Ørjan",
        lastName: "O'Brien",
        email: "orjan@example.com",
        company: 'Quote "Co", AS',
        jobTitle: null,
      },
    ];
    for (const contact of people) {
      const res = await ctx.request("POST", `/api/v1/events/${source}/registrations`, {
        token: org.tokens.marketer,
        body: { contact },
      });
      assert.equal(res.status, 201, res.text);
    }
    const res = await ctx.request("GET", `/api/v1/events/${source}/registrations.csv`, {
      token: org.tokens.viewer,
    });
    assert.equal(res.status, 200);
    assert.match(String(res.headers["content-disposition"]), /attachment/);
    const records = parse(res.text, { columns: true }) as Record<string, string>[];
    const f = records.find((r) => r.email === "formula@example.com");
    assert.equal(f?.first_name, '\'=HYPERLINK("http://evil")');
    assert.equal(f?.last_name, "'+Plus");
    assert.equal(f?.company, "'@corp");
    assert.equal(f?.job_title, "'-lead");
    assert.equal(f?.status, "registered");
    assert.equal(f?.source, "api");
    const o = records.find((r) => r.email === "orjan@example.com");
    assert.equal(o?.last_name, "O'Brien", "an apostrophe inside a value is left alone");
    assert.equal(o?.company, 'Quote "Co", AS');

    const target = await makeEvent(ctx, org);
    const again = await upload(ctx, org.tokens.marketer, target, res.text, "", "text/csv; charset=utf-8");
    assert.equal(again.status, 202, again.text);
    await ctx.services.imports.whenIdle();
    const done = await ctx.request("GET", `/api/v1/imports/${again.body.id}`, { token: org.tokens.viewer });
    assert.deepEqual([done.body.succeededRows, done.body.failedRows], [2, 0]);
    const copied = await allRegistrations(ctx, org.tokens.viewer, target);
    const strip = (r: any) => [
      r.contact.firstName,
      r.contact.lastName,
      r.contact.email,
      r.contact.company,
      r.contact.jobTitle,
    ];
    assert.deepEqual(
      copied.map(strip).sort(),
      people.map((p) => [p.firstName, p.lastName, p.email, p.company, p.jobTitle]).sort(),
    );
  });

  test("refused uploads: unknown and missing columns, no header, not UTF-8, roles, other orgs", async () => {
    const eventId = await makeEvent(ctx, org);
    const unknown = await upload(ctx, org.tokens.marketer, eventId, "email,first_name,last_name,shoe_size\n");
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.code, "unknown_columns");
    assert.equal(unknown.body.error.field, "shoe_size");
    assert.match(unknown.body.error.message, /shoe_size/);

    const missing = await upload(ctx, org.tokens.marketer, eventId, "email,first_name\na@example.com,A\n");
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.field, "last_name");

    const empty = await upload(ctx, org.tokens.marketer, eventId, "\n\n");
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, "missing_header");

    const latin1 = Buffer.from("email,first_name,last_name\nj@example.com,J\xf8rn,Hansen\n", "latin1");
    const encoding = await upload(ctx, org.tokens.marketer, eventId, latin1);
    assert.equal(encoding.status, 400);
    assert.equal(encoding.body.error.code, "invalid_encoding");

    const broken = await upload(
      ctx,
      org.tokens.marketer,
      eventId,
      'email,first_name,last_name\n"a@example.com,A,B\n',
    );
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, "invalid_csv");

    const good = "email,first_name,last_name\nv@example.com,V,W\n";
    const json = await upload(
      ctx,
      org.tokens.marketer,
      eventId,
      JSON.stringify({ good }),
      "",
      "application/json",
    );
    assert.equal(json.status, 415);
    assert.equal((await upload(ctx, org.tokens.viewer, eventId, good)).status, 403);
    const other = await ctx.createOrg("other");
    assert.equal((await upload(ctx, other.tokens.marketer, eventId, good)).status, 404);

    const listBefore = await ctx.request("GET", `/api/v1/events/${eventId}/imports`, {
      token: org.tokens.viewer,
    });
    assert.equal(listBefore.body.data.length, 0, "refused uploads leave nothing behind");

    const mine = await upload(ctx, org.tokens.marketer, eventId, good);
    assert.equal(mine.status, 202);
    await ctx.services.imports.whenIdle();
    for (const url of [`/api/v1/imports/${mine.body.id}`, `/api/v1/imports/${mine.body.id}/errors.csv`]) {
      assert.equal((await ctx.request("GET", url, { token: other.tokens.owner })).status, 404, url);
    }
    const exportOther = await ctx.request("GET", `/api/v1/events/${eventId}/registrations.csv`, {
      token: other.tokens.owner,
    });
    assert.equal(exportOther.status, 404);
  });

  test("a CSV body on other routes keeps the small body limit", async () => {
    const eventId = await makeEvent(ctx, org);
    const big = `email,first_name,last_name\n${"a@example.com,A,B\n".repeat(20_000)}`;
    const res = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      raw: big,
      headers: { "content-type": "text/csv" },
    });
    assert.equal(res.status, 413);
    const accepted = await upload(ctx, org.tokens.marketer, eventId, big);
    assert.equal(accepted.status, 202, "the import route takes it");
    assert.equal(accepted.body.totalRows, 20_000);
    await ctx.services.imports.stop(); // no need to register 20,000 copies of one person
    await ctx.database.db.deleteFrom("imports").where("id", "=", accepted.body.id).execute();
  });
});
