import { type Expression, type RawBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { RegistrationStatus } from "../../db/schema.ts";
import type { RegistrationSyncState } from "../../db/schema-webinars.ts";
import { badRequest } from "../../lib/errors.ts";
import { isUuid } from "../../lib/ids.ts";
import { contactSearch } from "../contacts/contacts.service.ts";

/**
 * The registrations table of an event: filters, sorts and keyset pages that stay fast at
 * 50,000 rows. Every sort is "keys, then registration id" in one direction, so a page
 * boundary is one row-value comparison `(keys…, id) > (last keys…, last id)` that an index
 * of migration 0060 reads as a range, and rows with equal keys are neither skipped nor
 * repeated. The cursor carries the keys themselves, so a row that changes between two
 * pages cannot shift the boundary.
 */
export const REGISTRATION_SORTS = [
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
export type RegistrationSort = (typeof REGISTRATION_SORTS)[number];
type SortField = Exclude<RegistrationSort, `-${string}`>;

export interface ListQuery {
  limit: number;
  cursor?: string | undefined;
  status?: RegistrationStatus | undefined;
  q?: string | null | undefined;
  sync?: RegistrationSyncState | "none" | undefined;
  attended?: boolean | undefined;
  sort?: RegistrationSort | undefined;
}

interface SortSpec {
  /** The ordered expressions; the registration id follows as the final tie-break. */
  keys: RawBuilder<unknown>[];
  /** The keys as the cursor carries them (timestamps as text: PostgreSQL keeps microseconds, Date does not). */
  cursorValues: RawBuilder<unknown>[];
  /** Turns a cursor's values back into typed SQL parameters. */
  params: ((value: unknown) => RawBuilder<unknown>)[];
  /** Whether a cursor's values have the right types (a cursor is client input). */
  valid: (values: unknown[]) => boolean;
}

const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const text = (v: unknown) => sql`${v}::text`;
const isText = (v: unknown) => typeof v === "string" && v.length <= 300;

/**
 * Sorts on a contact column order by (column, contact id) first: the contacts index
 * (organization_id, column, id) then yields rows already in order, and a page is a short
 * nested loop into registrations (contact_id, event_id) instead of a sort of the event.
 */
const contactSort = (column: RawBuilder<unknown>): SortSpec => ({
  keys: [column, sql`c.id`],
  cursorValues: [column, sql`c.id::text`],
  params: [text, (v) => sql`${v}::uuid`],
  valid: ([value, contactId]) => isText(value) && typeof contactId === "string" && isUuid(contactId),
});

const SORTS: Record<SortField, SortSpec> = {
  createdAt: {
    keys: [sql`r.created_at`],
    cursorValues: [sql`to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`],
    params: [(v) => sql`${v}::timestamptz`],
    valid: ([v]) => typeof v === "string" && TIMESTAMP_RE.test(v),
  },
  lastName: contactSort(sql`lower(c.last_name)`),
  email: contactSort(sql`c.email_normalized`),
  status: { keys: [sql`r.status`], cursorValues: [sql`r.status`], params: [text], valid: ([v]) => isText(v) },
  // Kept equal to the attendance sum by a trigger (migration 0060), so it can be indexed.
  minutes: {
    keys: [sql`r.attended_minutes`],
    cursorValues: [sql`r.attended_minutes`],
    params: [(v) => sql`${v}::int`],
    valid: ([v]) => Number.isSafeInteger(v),
  },
};

export function parseSort(sort: RegistrationSort | undefined) {
  // Without `sort` the order stays what it always was (registration order), for existing clients.
  const s = sort ?? "createdAt";
  const descending = s.startsWith("-");
  return { name: s, field: (descending ? s.slice(1) : s) as SortField, descending };
}

const encodeCursor = (sort: string, values: unknown[], id: string) =>
  Buffer.from(JSON.stringify([sort, values, id])).toString("base64url");

function decodeCursor(cursor: string, sortName: string, spec: SortSpec) {
  const refuse = () => badRequest("cursor is not one this API issued", "cursor");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw refuse();
  const [sort, values, id] = parsed as unknown[];
  if (typeof id !== "string" || !isUuid(id)) throw refuse();
  if (sort !== sortName)
    throw badRequest("cursor was issued for another sort; start again without a cursor", "cursor");
  if (!Array.isArray(values) || values.length !== spec.keys.length || !spec.valid(values)) throw refuse();
  return { values: values as unknown[], id };
}

/** The WHERE of the table's filters (shared by the page and its total). */
function filters(organizationId: string, eventId: string, query: ListQuery) {
  const conditions: Expression<SqlBool>[] = [
    sql<SqlBool>`r.organization_id = ${organizationId}`,
    sql<SqlBool>`r.event_id = ${eventId}`,
  ];
  if (query.status !== undefined) conditions.push(sql<SqlBool>`r.status = ${query.status}`);
  const q = query.q ?? undefined;
  if (q !== undefined) conditions.push(contactSearch(q, "c"));
  if (query.sync === "none") {
    conditions.push(
      sql<SqlBool>`not exists (select 1 from registration_syncs s where s.registration_id = r.id)`,
    );
  } else if (query.sync !== undefined) {
    conditions.push(
      sql<SqlBool>`exists (select 1 from registration_syncs s where s.registration_id = r.id and s.state = ${query.sync})`,
    );
  }
  if (query.attended !== undefined) {
    // attended_minutes is the attendance sum (trigger of migration 0060): > 0 means watched.
    conditions.push(sql<SqlBool>`r.attended_minutes ${sql.raw(query.attended ? ">" : "=")} 0`);
  }
  return conditions;
}

/**
 * One page of registration rows (with their contact columns), the cursor of the next page,
 * and the total for the filters.
 */
export async function listRegistrationRows(
  db: Db,
  organizationId: string,
  eventId: string,
  query: ListQuery,
) {
  const sort = parseSort(query.sort);
  const spec = SORTS[sort.field];
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort.name, spec);
  const where = filters(organizationId, eventId, query);
  const base = () =>
    db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .where((eb) => eb.and(where));

  const direction = sql.raw(sort.descending ? "desc" : "asc");
  const keys = sql.join(spec.keys);
  let query_ = base()
    // Implied by the registration's organization; stated so the contacts indexes apply.
    .where("c.organization_id", "=", organizationId)
    .selectAll("r")
    .select([
      "c.first_name",
      "c.last_name",
      "c.email",
      "c.email_normalized",
      "c.company",
      "c.job_title",
      "c.created_at as contact_created_at",
      "c.updated_at as contact_updated_at",
      ...spec.cursorValues.map((v, i) => v.as(`sort_${i}`)),
    ]);
  if (after) {
    const values = sql.join(
      after.values.map((v, i) => (spec.params[i] as (x: unknown) => RawBuilder<unknown>)(v)),
    );
    query_ = query_.where(
      sql<SqlBool>`(${keys}, r.id) ${sql.raw(sort.descending ? "<" : ">")} (${values}, ${after.id}::uuid)`,
    );
    // Implied by the line above; on its own it is a range the contacts index can read.
    if (spec.keys.length > 1)
      query_ = query_.where(sql<SqlBool>`(${keys}) ${sql.raw(sort.descending ? "<=" : ">=")} (${values})`);
  }
  for (const key of spec.keys) query_ = query_.orderBy(sql`${key} ${direction}`);
  const rows = await query_
    .orderBy(sql`r.id ${direction}`)
    .limit(query.limit + 1)
    .execute();

  // The total needs the contacts only to search them; otherwise it is an index-only count.
  const searching = (query.q ?? undefined) !== undefined;
  const total = await (searching ? base() : db.selectFrom("registrations as r").where((eb) => eb.and(where)))
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirstOrThrow();

  const hasMore = rows.length > query.limit;
  const data = hasMore ? rows.slice(0, query.limit) : rows;
  const last = data.at(-1) as (typeof data)[number] & Record<string, unknown>;
  return {
    rows: data,
    nextCursor:
      hasMore && last
        ? encodeCursor(
            sort.name,
            spec.keys.map((_, i) => last[`sort_${i}`]),
            last.id,
          )
        : null,
    total: total.n,
  };
}
