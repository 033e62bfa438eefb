import { type Expression, type RawBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { RegistrationStatus } from "../../db/schema.ts";
import type { RegistrationSyncState } from "../../db/schema-webinars.ts";
import { badRequest } from "../../lib/errors.ts";
import { isUuid } from "../../lib/ids.ts";
import { contactSearch } from "../contacts/contacts.service.ts";

/**
 * The registrations table of an event: filters, sorts and keyset pages that stay fast at
 * 50,000 rows. Every sort is "key, then registration id" in one direction, so a page
 * boundary is a single row-value comparison `(key, id) > (last key, last id)` that the
 * indexes of migration 0060 serve, and rows with equal keys are neither skipped nor repeated.
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
  /** The ordered expression. */
  key: RawBuilder<unknown>;
  /** The key as the cursor carries it (timestamps as text: PostgreSQL keeps microseconds, Date does not). */
  cursorValue: RawBuilder<string | number>;
  /** Turns a cursor's value back into a typed SQL parameter. */
  param(value: string | number): RawBuilder<unknown>;
  valueType: "string" | "number";
}

const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** Sum over the event's webinars; joined only for this sort (see `minutesJoin`). */
const MINUTES = sql`coalesce(m.minutes, 0)`;

const SORTS: Record<SortField, SortSpec> = {
  createdAt: {
    key: sql`r.created_at`,
    cursorValue: sql<string>`to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    param: (v) => sql`${v}::timestamptz`,
    valueType: "string",
  },
  lastName: {
    key: sql`lower(c.last_name)`,
    cursorValue: sql<string>`lower(c.last_name)`,
    param: (v) => sql`${v}::text`,
    valueType: "string",
  },
  email: {
    key: sql`c.email_normalized`,
    cursorValue: sql<string>`c.email_normalized`,
    param: (v) => sql`${v}::text`,
    valueType: "string",
  },
  status: {
    key: sql`r.status`,
    cursorValue: sql<string>`r.status`,
    param: (v) => sql`${v}::text`,
    valueType: "string",
  },
  minutes: {
    key: MINUTES,
    cursorValue: sql<number>`${MINUTES}::int`,
    param: (v) => sql`${v}::int`,
    valueType: "number",
  },
};

export function parseSort(sort: RegistrationSort | undefined) {
  // Without `sort` the order stays what it always was (registration order), for existing clients.
  const s = sort ?? "createdAt";
  const descending = s.startsWith("-");
  return { name: s, field: (descending ? s.slice(1) : s) as SortField, descending };
}

const encodeCursor = (sort: string, value: string | number, id: string) =>
  Buffer.from(JSON.stringify([sort, value, id])).toString("base64url");

function decodeCursor(cursor: string, sortName: string, spec: SortSpec) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString());
  } catch {
    throw badRequest("cursor is not one this API issued", "cursor");
  }
  if (!Array.isArray(parsed) || parsed.length !== 3)
    throw badRequest("cursor is not one this API issued", "cursor");
  const [sort, value, id] = parsed as unknown[];
  if (typeof id !== "string" || !isUuid(id)) throw badRequest("cursor is not one this API issued", "cursor");
  if (sort !== sortName)
    throw badRequest(`cursor was issued for another sort; start again without a cursor`, "cursor");
  const valid =
    spec.valueType === "number"
      ? Number.isSafeInteger(value)
      : typeof value === "string" && (spec !== SORTS.createdAt || TIMESTAMP_RE.test(value));
  if (!valid) throw badRequest("cursor is not one this API issued", "cursor");
  return { value: value as string | number, id };
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
    const watched = sql`exists (select 1 from attendance a where a.registration_id = r.id and a.live_minutes + a.on_demand_minutes > 0)`;
    conditions.push(query.attended ? sql<SqlBool>`${watched}` : sql<SqlBool>`not ${watched}`);
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
  // The total needs the contacts only to search them: otherwise it is an index-only count.
  const needsContacts = (query.q ?? undefined) !== undefined;

  const direction = sort.descending ? sql.raw("desc") : sql.raw("asc");
  const comparison = sort.descending ? sql.raw("<") : sql.raw(">");
  const rows = await base()
    .$if(sort.field === "minutes", (qb) =>
      qb.leftJoin(
        (eb) =>
          eb
            .selectFrom("attendance as a")
            .innerJoin("webinars as w", "w.id", "a.webinar_id")
            .select([
              "a.registration_id",
              sql<number>`sum(a.live_minutes + a.on_demand_minutes)::int`.as("minutes"),
            ])
            .where("w.event_id", "=", eventId)
            .groupBy("a.registration_id")
            .as("m"),
        (j) => j.onRef("m.registration_id", "=", "r.id"),
      ),
    )
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
      spec.cursorValue.as("sort_value"),
    ])
    .$if(after !== undefined, (qb) => {
      const a = after as { value: string | number; id: string };
      return qb.where(
        sql<SqlBool>`(${spec.key}, r.id) ${comparison} (${spec.param(a.value)}, ${a.id}::uuid)`,
      );
    })
    .orderBy(sql`${spec.key} ${direction}`)
    .orderBy(sql`r.id ${direction}`)
    .limit(query.limit + 1)
    .execute();

  const total = await (needsContacts
    ? base()
    : db.selectFrom("registrations as r").where((eb) => eb.and(where))
  )
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirstOrThrow();

  const hasMore = rows.length > query.limit;
  const data = hasMore ? rows.slice(0, query.limit) : rows;
  const last = data.at(-1);
  return {
    rows: data,
    nextCursor: hasMore && last ? encodeCursor(sort.name, last.sort_value, last.id) : null,
    total: total.n,
  };
}
