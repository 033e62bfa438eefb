import assert from "node:assert/strict";
import { before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

/**
 * The registrations table at 50,000 rows: every sort walks in order, completely and without
 * overlap, under filters, compared with an independent SQL statement over the same rows.
 * Time per page is printed (no assertion: the machine is shared).
 */
const ROWS = 50_000;
const SORTS = [
  "createdAt",
  "-createdAt",
  "lastName",
  "-lastName",
  "email",
  "-email",
  "status",
  "-status",
  "minutes",
  "-minutes",
] as const;

/** The expected order, written independently of the service's query. */
const EXPECTED_KEY: Record<string, string> = {
  createdAt: "r.created_at",
  // Contact sorts break ties by contact, then registration (docs/web-app-api.md).
  lastName: "lower(c.last_name) {dir}, c.id",
  email: "c.email_normalized {dir}, c.id",
  status: "r.status",
  minutes:
    "coalesce((select sum(a.live_minutes + a.on_demand_minutes) from attendance a where a.registration_id = r.id), 0)",
};

/** Bulk rows straight in SQL: ties on every key (7 last names in mixed case, 4 per second, equal minutes). */
async function seed(ctx: TestContext, org: TestOrg, eventId: string) {
  const { db } = ctx.database;
  const configId = crypto.randomUUID();
  const webinarId = crypto.randomUUID();
  const t0 = Date.now();
  await sql`insert into webinar_configurations (id, organization_id, provider, name, updated_at)
    values (${configId}, ${org.id}, 'on24', 'bulk', now())`.execute(db);
  await sql`insert into webinars (id, organization_id, configuration_id, event_id, state, updated_at)
    values (${webinarId}, ${org.id}, ${configId}, ${eventId}, 'provisioned', now())`.execute(db);
  await sql`insert into contacts (id, organization_id, first_name, last_name, email, email_normalized, updated_at)
    select md5(${eventId} || 'c' || i)::uuid, ${org.id}, 'F' || i,
      (array['Able','able','Baker','de Vries','Øde','ZED','zed'])[1 + i % 7],
      'p' || i || '@example.com', 'p' || i || '@example.com', now()
    from generate_series(1, ${ROWS}::int) i`.execute(db);
  await sql`insert into registrations (id, organization_id, event_id, contact_id, status, source, created_at, updated_at)
    select md5(${eventId} || 'r' || i)::uuid, ${org.id}, ${eventId}, md5(${eventId} || 'c' || i)::uuid,
      case i % 10 when 0 then 'cancelled' when 1 then 'waitlisted' else 'registered' end, 'import',
      timestamptz '2026-01-01T00:00:00Z' + (i / 4) * interval '1 second' + (i % 2) * interval '1 microsecond',
      now()
    from generate_series(1, ${ROWS}::int) i`.execute(db);
  await sql`insert into registration_syncs (registration_id, webinar_id, organization_id, configuration_id, state, updated_at)
    select md5(${eventId} || 'r' || i)::uuid, ${webinarId}, ${org.id}, ${configId},
      (array['pending','synced','held','failed','cancelled'])[1 + i % 7], now()
    from generate_series(1, ${ROWS}::int) i where i % 7 < 5`.execute(db);
  await sql`insert into attendance (registration_id, webinar_id, organization_id, live_minutes, on_demand_minutes, updated_at)
    select md5(${eventId} || 'r' || i)::uuid, ${webinarId}, ${org.id}, i % 50, (i % 4) * 5, now()
    from generate_series(1, ${ROWS}::int) i where i % 3 = 0`.execute(db);
  await sql`analyze`.execute(db);
  return Date.now() - t0;
}

forEachBackend("registrations table at 50,000 rows", (ctx, backend) => {
  let org: TestOrg;
  let eventId: string;
  const list = (query: string, token = org.tokens.viewer) =>
    ctx.request("GET", `/api/v1/events/${eventId}/registrations?${query}`, { token });

  async function expectedIds(sort: string, where = "true") {
    const descending = sort.startsWith("-");
    const key = EXPECTED_KEY[descending ? sort.slice(1) : sort];
    const dir = descending ? "desc" : "asc";
    const { rows } = await sql<{ id: string }>`select r.id from registrations r
      join contacts c on c.id = r.contact_id
      where r.event_id = ${eventId} and ${sql.raw(where)}
      order by ${sql.raw((key as string).replace("{dir}", dir))} ${sql.raw(dir)}, r.id ${sql.raw(dir)}`.execute(
      ctx.database.db,
    );
    return rows.map((r) => r.id);
  }

  /** Walks pages; returns ids, the totals seen and the time per page. */
  async function walk(query: string, maxPages = Number.POSITIVE_INFINITY) {
    const ids: string[] = [];
    const totals = new Set<number>();
    const times: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const started = performance.now();
      const res = await list(`${query}${cursor ? `&cursor=${cursor}` : ""}`);
      times.push(performance.now() - started);
      assert.equal(res.status, 200, res.text);
      ids.push(...res.body.data.map((r: { id: string }) => r.id));
      totals.add(res.body.total);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < maxPages);
    return { ids, totals, times, cursor };
  }
  const ms = (times: number[]) => (times.reduce((a, b) => a + b, 0) / times.length).toFixed(1);

  before(async () => {
    org = await ctx.createOrg("bulk");
    const res = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Big webinar",
        startsAt: "2030-06-01T09:00",
        endsAt: "2030-06-01T17:00",
        timeZone: "Europe/Oslo",
        format: "webinar",
      },
    });
    assert.equal(res.status, 201, res.text);
    eventId = res.body.id;
    const took = await seed(ctx, org, eventId);
    console.log(`[${backend}] seeded ${ROWS} registrations (+contacts, syncs, attendance) in ${took} ms`);
  });

  test("every sort: the first pages are in order, complete and without overlap; the total counts all", async () => {
    for (const sort of SORTS) {
      const expected = await expectedIds(sort);
      const { ids, totals, times } = await walk(`sort=${sort}&limit=200`, 3);
      assert.deepEqual(ids, expected.slice(0, 600), `sort=${sort}`);
      assert.deepEqual([...totals], [ROWS]);
      console.log(`[${backend}] sort=${sort}: ${ms(times)} ms per page of 200 (3 pages)`);
    }
  });

  test("a whole walk newest first returns each of the 50,000 rows once", async () => {
    const { ids, times } = await walk("sort=-createdAt&limit=500");
    assert.equal(ids.length, ROWS);
    assert.equal(new Set(ids).size, ROWS);
    assert.deepEqual(ids, await expectedIds("-createdAt"));
    console.log(`[${backend}] full walk -createdAt: ${times.length} pages, ${ms(times)} ms per page of 500`);
  });

  test("filters combine with sorts: complete walks equal direct SQL, total equals the walk's length", async () => {
    const watched =
      "exists (select 1 from attendance a where a.registration_id = r.id and a.live_minutes + a.on_demand_minutes > 0)";
    const cases: [string, string, string][] = [
      [
        "sync=failed&attended=true",
        "-minutes",
        `exists (select 1 from registration_syncs s where s.registration_id = r.id and s.state = 'failed') and ${watched}`,
      ],
      ["status=waitlisted", "lastName", "r.status = 'waitlisted'"],
      [
        "sync=none",
        "-email",
        "not exists (select 1 from registration_syncs s where s.registration_id = r.id)",
      ],
      ["attended=false&status=registered", "-status", `not ${watched} and r.status = 'registered'`],
      ["q=p12", "minutes", "position('p12' in c.email_normalized) > 0"],
    ];
    for (const [filter, sort, where] of cases) {
      const expected = await expectedIds(sort, where);
      assert.ok(expected.length > 0, `${filter} selects rows`);
      const { ids, totals, times } = await walk(`${filter}&sort=${sort}&limit=500`);
      assert.deepEqual(ids, expected, `${filter}&sort=${sort}`);
      assert.deepEqual([...totals], [expected.length]);
      console.log(
        `[${backend}] ${filter}&sort=${sort}: ${expected.length} rows, ${ms(times)} ms per page of 500`,
      );
    }
  });

  test("rows keep their webinar sync state and attendance", async () => {
    const res = await list("sync=synced&attended=true&sort=-minutes&limit=5");
    assert.equal(res.status, 200, res.text);
    for (const row of res.body.data) {
      assert.equal(row.webinar.length, 1);
      assert.equal(row.webinar[0].state, "synced");
      assert.ok(row.webinar[0].liveMinutes + row.webinar[0].onDemandMinutes > 0);
    }
    const minutes = res.body.data.map(
      (r: { webinar: { liveMinutes: number; onDemandMinutes: number }[] }) =>
        (r.webinar[0]?.liveMinutes ?? 0) + (r.webinar[0]?.onDemandMinutes ?? 0),
    );
    assert.deepEqual(
      minutes,
      [...minutes].sort((a, b) => b - a),
    );
  });

  test("bad parameters are 400 naming the field; a cursor only works with its own sort", async () => {
    for (const [query, field] of [
      ["sort=title", "sort"],
      ["sort=-", "sort"],
      ["sync=lost", "sync"],
      ["attended=yes", "attended"],
      ["attended=true&attended=false", "attended"],
      ["status=maybe", "status"],
      ["limit=0", "limit"],
      [`cursor=${"A".repeat(1001)}`, "cursor"],
      [`cursor=${Buffer.from(crypto.randomUUID()).toString("base64url")}`, "cursor"],
      [`cursor=${Buffer.from('["lastName",1,"x"]').toString("base64url")}&sort=lastName`, "cursor"],
      [
        `cursor=${Buffer.from(`["createdAt","yesterday","${crypto.randomUUID()}"]`).toString("base64url")}`,
        "cursor",
      ],
    ]) {
      const res = await list(query as string);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal(res.body.error.field, field, query);
    }
    const first = await list("sort=lastName&limit=10");
    const other = await list(`sort=email&limit=10&cursor=${first.body.nextCursor}`);
    assert.equal(other.status, 400);
    assert.equal(other.body.error.field, "cursor");
    assert.match(other.body.error.message, /another sort/);
    // Omitting `sort` means createdAt, so its cursors go on working without the parameter.
    const plain = await list("limit=10");
    const next = await list(`limit=10&cursor=${plain.body.nextCursor}`);
    assert.equal(next.status, 200, next.text);
    const viaSort = await list(`limit=10&sort=createdAt&cursor=${plain.body.nextCursor}`);
    assert.deepEqual(viaSort.body.data, next.body.data);
  });

  test("another organization's event is 404", async () => {
    const other = await ctx.createOrg("stranger");
    const res = await list("sort=-minutes", other.tokens.owner);
    assert.equal(res.status, 404);
  });
});
