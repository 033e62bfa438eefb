/**
 * Segments (issue 16) at 50,000 registrations over 25 events and 20,000 contacts: time of a
 * page of each filter (rows + total, without HTTP), of paging on, and of the whole segment as
 * CSV, on PGlite or on server PostgreSQL. `npx tsx bench/segments.ts` — prints a table; asserts
 * nothing. With BENCH_DATABASE_URL it runs in a database of its own, dropped at the end.
 */
import { sql } from "kysely";
import pg from "pg";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { parseFilters, type SegmentQuery } from "../src/modules/segments/segments.filters.ts";
import { createSegmentService } from "../src/modules/segments/segments.service.ts";

const ROWS = Number(process.env.ROWS ?? 50_000);
const EVENTS = 25;
const CONTACTS = Math.ceil(ROWS / 2.5);
const serverUrl = process.env.BENCH_DATABASE_URL;
const dbName = `auditorium_bench_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
async function admin(statement: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(statement);
  await client.end();
}
let databaseUrl: string | undefined;
if (serverUrl) {
  await admin(`CREATE DATABASE ${dbName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  databaseUrl = url.toString();
}
const database = await openDatabase({ databaseUrl });
const { db } = database;
await migrateToLatest(db);
const org = crypto.randomUUID();
const configId = crypto.randomUUID();
const t0 = performance.now();
await sql`insert into organizations (id, name) values (${org}, 'bench')`.execute(db);
await sql`insert into webinar_configurations (id, organization_id, provider, name, updated_at)
  values (${configId}, ${org}, 'on24', 'b', now())`.execute(db);
// Events a week apart from 2026-01-05; each is a webinar.
await sql`insert into events (id, organization_id, title, description, starts_at, ends_at, time_zone, format, language, status, slug, registration_fields, updated_at)
  select md5(${org} || 'e' || i)::uuid, ${org}, 'Event ' || i, '', timestamptz '2026-01-05T09:00:00Z' + i * interval '7 days',
    timestamptz '2026-01-05T10:00:00Z' + i * interval '7 days', 'UTC', 'webinar', 'en', 'published', 'bench-' || i, '{}', now()
  from generate_series(0, ${EVENTS - 1}::int) i`.execute(db);
await sql`insert into webinars (id, organization_id, configuration_id, event_id, state, updated_at)
  select md5(${org} || 'w' || i)::uuid, ${org}, ${configId}, md5(${org} || 'e' || i)::uuid, 'provisioned', now()
  from generate_series(0, ${EVENTS - 1}::int) i`.execute(db);
await sql`insert into contacts (id, organization_id, first_name, last_name, email, email_normalized, updated_at)
  select md5(${org} || 'c' || i)::uuid, ${org}, 'F' || i, 'L' || i, 'p' || i || '@example.com', 'p' || i || '@example.com', now()
  from generate_series(0, ${CONTACTS - 1}::int) i`.execute(db);
// Registration i: contact i % CONTACTS, event (i / CONTACTS + i) % EVENTS (distinct per contact).
await sql`insert into registrations (id, organization_id, event_id, contact_id, status, source, utm_source, created_at, updated_at)
  select md5(${org} || 'r' || i)::uuid, ${org}, md5(${org} || 'e' || ((i / ${CONTACTS} + i) % ${EVENTS}))::uuid,
    md5(${org} || 'c' || (i % ${CONTACTS}))::uuid, case when i % 20 = 0 then 'cancelled' else 'registered' end,
    (array['api','public','import'])[1 + i % 3], (array[null,'newsletter','linkedin'])[1 + i % 3],
    timestamptz '2026-01-01T00:00:00Z' + i * interval '1 second', now()
  from generate_series(0, ${ROWS - 1}::int) i`.execute(db);
await sql`insert into attendance (registration_id, webinar_id, organization_id, live_minutes, on_demand_minutes, engagement_score, updated_at)
  select r.id, w.id, ${org}, (hashtext(r.id::text) & 63), (hashtext(r.id::text) >> 8 & 15), (hashtext(r.id::text) >> 12 & 127) % 100, now()
  from registrations r join webinars w on w.event_id = r.event_id
  where r.organization_id = ${org} and (hashtext(r.id::text) >> 20) & 7 < 5`.execute(db);
await sql`analyze`.execute(db);
console.log(`${database.kind}: seeded ${ROWS} registrations in ${(performance.now() - t0).toFixed(0)} ms`);

const segments = createSegmentService({ db });
const event = (i: number) => sql<{ id: string }>`select md5(${org} || 'e' || ${i})::uuid::text as id`;
const keynote = (await event(3).execute(db)).rows[0]?.id as string;
const cases: [string, SegmentQuery][] = [
  ["(no filter)", {}],
  ["attended=true", { attended: "true" }],
  ["attended=false", { attended: "false" }],
  ["minMinutes=30", { minMinutes: "30" }],
  ["minEngagement=90", { minEngagement: "90" }],
  ["eventId&attended=true&minMinutes=30", { eventId: keynote, attended: "true", minMinutes: "30" }],
  ["from..to (one month)", { from: "2026-03-01", to: "2026-03-31" }],
  ["source=public&utmSource=newsletter", { source: "public", utmSource: "newsletter" }],
];
console.log(
  "filter".padEnd(38),
  "registrations".padStart(14),
  "contacts".padStart(10),
  "  (ms per page of 100, rows + total)",
);
for (const [label, query] of cases) {
  const times = { registrations: [] as number[], contacts: [] as number[] };
  for (const kind of ["registrations", "contacts"] as const) {
    let cursor: string | undefined;
    for (let page = 0; page < 6; page++) {
      const started = performance.now();
      const result = await segments[kind](org, parseFilters({ ...query, limit: "100", cursor }, false));
      times[kind].push(performance.now() - started);
      cursor = result.nextCursor ?? undefined;
      if (!cursor) break;
    }
    times[kind].shift(); // the first page warms caches and plans
  }
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  console.log(
    label.padEnd(38),
    avg(times.registrations).toFixed(1).padStart(14),
    avg(times.contacts).toFixed(1).padStart(10),
  );
}
for (const kind of ["registrationsCsv", "contactsCsv"] as const) {
  const started = performance.now();
  let bytes = 0;
  let lines = 0;
  for await (const chunk of segments[kind](org, parseFilters({ attended: "false" }, true))) {
    bytes += chunk.length;
    lines += String(chunk).split("\r\n").length - 1;
  }
  console.log(
    `${kind} attended=false: ${lines - 1} rows, ${(bytes / 1024).toFixed(0)} KiB in ${(performance.now() - started).toFixed(0)} ms`,
  );
}
await database.close();
if (serverUrl && !process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
else if (serverUrl) console.log(`kept database ${dbName}`);
