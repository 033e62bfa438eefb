import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import { runFixed } from "../../db/fixed-statement.ts";
import type { ContactMatching, ContactRow, Database } from "../../db/schema.ts";
import { normalizeEmail } from "../../lib/email-address.ts";
import { notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import type { PersonInput, UpdateContactInput } from "./contacts.schemas.ts";

type Executor = Db | Transaction<Database>;

export function toContactDto(c: ContactRow) {
  return {
    id: c.id,
    firstName: c.first_name,
    lastName: c.last_name,
    email: c.email,
    company: c.company,
    jobTitle: c.job_title,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

/**
 * "q matches the email or the full name", case-insensitively and literally (no wildcards).
 * Emails are stored lowercased by JavaScript, so the needle is too; names are lowercased by
 * the database on both sides, so non-ASCII letters compare the same way.
 */
export function contactSearch(q: string, table?: string) {
  const col = (name: string) => sql.ref(table ? `${table}.${name}` : name);
  return sql<boolean>`(position(${normalizeEmail(q)} in ${col("email_normalized")}) > 0 or position(lower(${q}) in lower(${col("first_name")} || ' ' || ${col("last_name")})) > 0)`;
}

/** Who is the same contact under each rule: the join condition of `resolveMany`. */
const SAME_CONTACT: Record<ContactMatching, string> = {
  email: "c.email_normalized = i.email_normalized",
  name: "lower(c.first_name) = lower(i.first_name) and lower(c.last_name) = lower(i.last_name)",
  email_name:
    "c.email_normalized = i.email_normalized and lower(c.first_name) = lower(i.first_name) and lower(c.last_name) = lower(i.last_name)",
};

/**
 * `resolveMany`'s statement, one fixed text per rule (db/fixed-statement.ts): the people as
 * arrays ($1 ids, $2–$7 their details), $8 the organization, $9 the time of the change.
 */
const RESOLVE_MANY = Object.fromEntries(
  Object.entries(SAME_CONTACT).map(([rule, same]) => [
    rule,
    `with i as (
        select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
          with ordinality as i(id, first_name, last_name, email, email_normalized, company, job_title, ord)
      ), found as (
        select distinct on (i.ord) i.ord, c.* from i join contacts c on c.organization_id = $8::uuid and ${same}
        order by i.ord, c.id
      ), inserted as (
        insert into contacts (id, organization_id, first_name, last_name, email, email_normalized, company, job_title, updated_at)
        select i.id, $8::uuid, i.first_name, i.last_name, i.email, i.email_normalized, i.company,
          i.job_title, $9::timestamptz
        from i where not exists (select 1 from found where found.ord = i.ord)
        order by i.ord
        returning *
      )
      select i.ord, inserted.*, true as created from inserted join i on i.id = inserted.id
      union all
      select found.*, false as created from found`,
  ]),
) as Record<ContactMatching, string>;

/**
 * Contacts, and the organization's rule for recognising a registrant as a known contact:
 * by email, by first + last name, or by all three. Emails compare case-insensitively;
 * names compare case-insensitively after trimming. No match creates a contact.
 */
export function createContactService(deps: { db: Db }) {
  const { db } = deps;

  async function get(organizationId: string, id: string, executor: Executor = db) {
    const row = await executor
      .selectFrom("contacts")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound("Contact");
    return row;
  }

  async function create(organizationId: string, person: PersonInput, executor: Executor = db) {
    return executor
      .insertInto("contacts")
      .values({
        id: uuidv7(),
        organization_id: organizationId,
        first_name: person.firstName,
        last_name: person.lastName,
        email: person.email,
        email_normalized: normalizeEmail(person.email),
        company: person.company ?? null,
        job_title: person.jobTitle ?? null,
        updated_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * `matchOrCreate`, also telling whether the contact was created here (then it cannot have
   * any registration yet, which spares the caller its duplicate check). The lookup and the
   * insert are one statement: registering a new person is the common case and each round
   * trip is held under the event lock. Like the separate read and insert it replaces, it
   * reads a snapshot, so two concurrent first registrations of one person can still create
   * two contacts (no unique index: the rule can change, and names repeat).
   *
   * `keepExisting`: a found contact is left exactly as it is. The public form sets it, since
   * whoever fills it in has proved nothing about the address they typed.
   */
  async function resolve(
    trx: Executor,
    organizationId: string,
    rule: ContactMatching,
    person: PersonInput,
    options: { keepExisting?: boolean } = {},
  ): Promise<{ contact: ContactRow; created: boolean }> {
    const [resolved] = await resolveMany(trx, organizationId, rule, [person]);
    if (!resolved) throw new Error("contact neither found nor created");
    if (resolved.created || options.keepExisting) return resolved;
    return { contact: await fillIn(trx, resolved.contact, person), created: false };
  }

  /**
   * `resolve` for many people in one statement (group commit), without changing any contact
   * found: `fillIn` does that for the ones the caller goes on with. The people must be
   * distinct under the rule (two of them matching each other would both be created).
   */
  async function resolveMany(
    trx: Executor,
    organizationId: string,
    rule: ContactMatching,
    people: PersonInput[],
  ): Promise<{ contact: ContactRow; created: boolean }[]> {
    if (people.length === 0) return [];
    const column = (pick: (p: PersonInput) => string | null | undefined) =>
      people.map((p) => pick(p) ?? null);
    const rows = await runFixed<ContactRow & { ord: number; created: boolean }>(trx, RESOLVE_MANY[rule], [
      people.map(() => uuidv7()),
      column((p) => p.firstName),
      column((p) => p.lastName),
      column((p) => p.email),
      column((p) => normalizeEmail(p.email)),
      column((p) => p.company),
      column((p) => p.jobTitle),
      organizationId,
      new Date(),
    ]);
    const byOrd = new Map(rows.map(({ ord, created, ...contact }) => [Number(ord), { contact, created }]));
    return people.map((_p, index) => {
      const resolved = byOrd.get(index + 1);
      if (!resolved) throw new Error("contact neither found nor created");
      return resolved;
    });
  }

  /** Newer details fill in what a found contact lacked or had changed; identity fields stay. */
  async function fillIn(trx: Executor, found: ContactRow, person: PersonInput): Promise<ContactRow> {
    const company = person.company ?? found.company;
    const jobTitle = person.jobTitle ?? found.job_title;
    if (company === found.company && jobTitle === found.job_title) return found;
    return trx
      .updateTable("contacts")
      .set({ company, job_title: jobTitle, updated_at: new Date() })
      .where("id", "=", found.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  return {
    get,
    create,

    async matchingRule(organizationId: string, executor: Executor = db): Promise<ContactMatching> {
      const org = await executor
        .selectFrom("organizations")
        .select("contact_matching")
        .where("id", "=", organizationId)
        .executeTakeFirstOrThrow();
      return org.contact_matching;
    },

    /** Finds the contact this person is under the rule (oldest first), or creates one. */
    async matchOrCreate(trx: Executor, organizationId: string, rule: ContactMatching, person: PersonInput) {
      return (await resolve(trx, organizationId, rule, person)).contact;
    },

    resolve,
    resolveMany,
    fillIn,

    async list(
      organizationId: string,
      query: { limit: number; cursor?: string | undefined; q?: string | null | undefined },
    ) {
      const after = decodeCursor(query.cursor);
      const q = query.q ?? undefined;
      const rows = await db
        .selectFrom("contacts")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .$if(after !== undefined, (q) => q.where("id", "<", after as string))
        .$if(q !== undefined, (qb) => qb.where(contactSearch(q as string)))
        .orderBy("id", "desc")
        .limit(query.limit + 1)
        .execute();
      return toPage(rows, query.limit);
    },

    async update(organizationId: string, id: string, patch: UpdateContactInput) {
      await get(organizationId, id);
      return db
        .updateTable("contacts")
        .set({
          ...(patch.firstName !== undefined && { first_name: patch.firstName }),
          ...(patch.lastName !== undefined && { last_name: patch.lastName }),
          ...(patch.email !== undefined && {
            email: patch.email,
            email_normalized: normalizeEmail(patch.email),
          }),
          ...(patch.company !== undefined && { company: patch.company }),
          ...(patch.jobTitle !== undefined && { job_title: patch.jobTitle }),
          updated_at: new Date(),
        })
        .where("organization_id", "=", organizationId)
        .where("id", "=", id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
