import { type Kysely, sql } from "kysely";

/**
 * Campaign tracking (issue 15 point 8) and segments (issue 16).
 *
 * A registration keeps the UTM parameters and the referrer it arrived with; all are optional
 * (null: not known, e.g. an import or a visit without a campaign link). Their bounds are
 * checked by the API (422 naming the field), so no CHECK here: a later, looser bound would
 * otherwise need a migration.
 *
 * Segments read registrations across the events of one organization. They page by
 * registration id, or group by contact; these indexes let both read only the
 * organization's rows in order, and find a registration's on-site check-ins (part of
 * "attended") without scanning the event's.
 * One statement per call (PGlite's extended protocol).
 */
const statements = [
  `ALTER TABLE registrations ADD COLUMN utm_source text`,
  `ALTER TABLE registrations ADD COLUMN utm_medium text`,
  `ALTER TABLE registrations ADD COLUMN utm_campaign text`,
  `ALTER TABLE registrations ADD COLUMN utm_term text`,
  `ALTER TABLE registrations ADD COLUMN utm_content text`,
  `ALTER TABLE registrations ADD COLUMN referrer text`,
  `CREATE INDEX registrations_org_id ON registrations (organization_id, id)`,
  `CREATE INDEX registrations_org_contact ON registrations (organization_id, contact_id)`,
  `CREATE INDEX registrations_org_minutes ON registrations (organization_id, attended_minutes)`,
  `CREATE INDEX check_ins_registration ON check_ins (registration_id) WHERE kind = 'onsite'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
