/**
 * The registrations table at 50,000 rows: time of a page (rows, total, whole request path
 * without HTTP) per sort and filter, on PGlite or on server PostgreSQL (DATABASE_URL).
 * `npx tsx bench/registrations-list.ts` — prints a table; asserts nothing. With
 * BENCH_DATABASE_URL (a server the bench may create databases on) it runs in a database of
 * its own, dropped at the end.
 */
import { sql } from "kysely";
import pg from "pg";
import { openDatabase } from "../src/db/database.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { listRegistrationRows } from "../src/modules/registrations/registrations.list.ts";

const ROWS = Number(process.env.ROWS ?? 50_000);
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
const eventId = crypto.randomUUID();
const configId = crypto.randomUUID();
const webinarId = crypto.randomUUID();
const t0 = performance.now();
await sql`insert into organizations (id, name) values (${org}, 'bench')`.execute(db);
await sql`insert into events (id, organization_id, title, description, starts_at, ends_at, time_zone, format, language, status, slug, registration_fields, updated_at)
  values (${eventId}, ${org}, 'Bench', '', now(), now() + interval '1 hour', 'UTC', 'webinar', 'en', 'published', ${`bench-${eventId}`}, '{}', now())`.execute(
  db,
);
await sql`insert into webinar_configurations (id, organization_id, provider, name, updated_at) values (${configId}, ${org}, 'on24', 'b', now())`.execute(
  db,
);
await sql`insert into webinars (id, organization_id, configuration_id, event_id, state, updated_at) values (${webinarId}, ${org}, ${configId}, ${eventId}, 'provisioned', now())`.execute(
  db,
);
await sql`insert into contacts (id, organization_id, first_name, last_name, email, email_normalized, updated_at)
  select md5(${eventId} || 'c' || i)::uuid, ${org}, 'F' || i, (array['Able','able','Baker','de Vries','Øde','ZED','zed'])[1 + i % 7] || (i % 1000),
    'p' || i || '@example.com', 'p' || i || '@example.com', now() from generate_series(1, ${ROWS}::int) i`.execute(
  db,
);
await sql`insert into registrations (id, organization_id, event_id, contact_id, status, source, created_at, updated_at)
  select md5(${eventId} || 'r' || i)::uuid, ${org}, ${eventId}, md5(${eventId} || 'c' || i)::uuid,
    case i % 10 when 0 then 'cancelled' when 1 then 'waitlisted' else 'registered' end, 'import',
    timestamptz '2026-01-01T00:00:00Z' + i * interval '1 second', now() from generate_series(1, ${ROWS}::int) i`.execute(
  db,
);
await sql`insert into registration_syncs (registration_id, webinar_id, organization_id, configuration_id, state, updated_at)
  select md5(${eventId} || 'r' || i)::uuid, ${webinarId}, ${org}, ${configId}, (array['pending','synced','held','failed','cancelled'])[1 + i % 7], now()
  from generate_series(1, ${ROWS}::int) i where i % 7 < 5`.execute(db);
await sql`insert into attendance (registration_id, webinar_id, organization_id, live_minutes, on_demand_minutes, updated_at)
  select md5(${eventId} || 'r' || i)::uuid, ${webinarId}, ${org}, i % 50, (i % 4) * 5, now() from generate_series(1, ${ROWS}::int) i where i % 3 = 0`.execute(
  db,
);
await sql`analyze`.execute(db);
console.log(`${database.kind}: seeded ${ROWS} rows in ${(performance.now() - t0).toFixed(0)} ms`);

const cases: [string, Parameters<typeof listRegistrationRows>[3]][] = [];
for (const sort of ["-createdAt", "lastName", "-email", "status", "-minutes"] as const)
  cases.push([`sort=${sort}`, { limit: 50, sort }]);
cases.push(["sync=failed&sort=-createdAt", { limit: 50, sync: "failed", sort: "-createdAt" }]);
cases.push(["attended=true&sort=lastName", { limit: 50, attended: true, sort: "lastName" }]);
cases.push(["q=p123&sort=-minutes", { limit: 50, q: "p123", sort: "-minutes" }]);

for (const [label, query] of cases) {
  const times: number[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 6; page++) {
    const started = performance.now();
    const result = await listRegistrationRows(db, org, eventId, { ...query, cursor });
    times.push(performance.now() - started);
    cursor = result.nextCursor ?? undefined;
  }
  times.shift(); // the first page warms caches and plans
  const avg = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(`${label.padEnd(32)} ${avg.toFixed(1).padStart(7)} ms per page of 50 (rows + total)`);
}
await database.close();
// BENCH_KEEP=1 leaves the database for EXPLAIN; drop it by hand afterwards.
if (serverUrl && !process.env.BENCH_KEEP) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
else if (serverUrl) console.log(`kept database ${dbName}`);
