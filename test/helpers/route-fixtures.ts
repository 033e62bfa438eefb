import assert from "node:assert/strict";
import type { Response, TestContext, TestOrg } from "./harness.ts";
import { addMember } from "./invitations.ts";
import { webinarResources } from "./webinar-resources.ts";

/** The id a create call answered with (`id`, or `userId` for members). */
export async function createdId(res: Response, what: string): Promise<string> {
  assert.ok(res.status === 201 || res.status === 202, `creating ${what}: ${res.status} ${res.text}`);
  return res.body.id ?? res.body.userId;
}

/**
 * One of each resource of `org`, created with its owner token, by resource key (see
 * `resourceKey` in openapi-routes.ts), so every derived route's parameters are real.
 * Used by the route-table suites (roles, audit).
 */
export async function routeFixtures(ctx: TestContext, org: TestOrg): Promise<Record<string, string>> {
  const token = org.tokens.owner;
  const post = (url: string, body: unknown) => ctx.request("POST", url, { token, body });
  const ids: Record<string, string> = { organization: org.id };
  // First, so the registration below writes a message for it.
  ids.webhookendpoint = await createdId(
    await post("/api/v1/webhook-endpoints", {
      url: "http://127.0.0.1:9/hooks",
      eventTypes: ["registration.created"],
    }),
    "webhook endpoint",
  );
  ids.event = await createdId(
    await post("/api/v1/events", {
      title: "Roles event",
      startsAt: "2026-06-01T09:00",
      endsAt: "2026-06-01T17:00",
      timeZone: "Europe/Oslo",
      format: "hybrid",
    }),
    "event",
  );
  ids.session = await createdId(
    await post(`/api/v1/events/${ids.event}/sessions`, {
      title: "Roles session",
      startsAt: "2026-06-01T10:00",
      endsAt: "2026-06-01T11:00",
    }),
    "session",
  );
  ids.contact = await createdId(
    await post("/api/v1/contacts", {
      firstName: "Rolf",
      lastName: "Roles",
      email: `roles-${Math.random().toString(36).slice(2)}@example.com`,
    }),
    "contact",
  );
  ids.registration = await createdId(
    await post(`/api/v1/events/${ids.event}/registrations`, { contactId: ids.contact }),
    "registration",
  );
  ids.webhookmessage = (
    await ctx.database.db
      .selectFrom("webhook_messages")
      .select("id")
      .where("registration_id", "=", ids.registration)
      .executeTakeFirstOrThrow()
  ).id;
  ids.checkin = await createdId(
    await post(`/api/v1/events/${ids.event}/check-ins`, { registrationId: ids.registration }),
    "check-in",
  );
  ids.import = await createdId(
    await ctx.request("POST", `/api/v1/events/${ids.event}/imports`, {
      token,
      raw: "email,first_name,last_name\r\nroles-import@example.com,Imp,Ort\r\n",
      headers: { "content-type": "text/csv" },
    }),
    "import",
  );
  Object.assign(ids, await webinarResources(ctx, token, ids.event));
  ids.apitoken = await createdId(
    await post("/api/v1/api-tokens", { name: "roles", role: "viewer" }),
    "token",
  );
  const unique = Math.random().toString(36).slice(2);
  ids.member = (
    await addMember(ctx, token, {
      email: `roles-member-${unique}@example.com`,
      name: "Roles member",
      role: "marketer",
    })
  ).userId;
  ids.invitation = await createdId(
    await post("/api/v1/members", {
      email: `roles-invited-${unique}@example.com`,
      name: "Invited",
      role: "viewer",
    }),
    "invitation",
  );
  ids.message = (
    await ctx.database.db
      .selectFrom("email_messages")
      .select("id")
      .where("organization_id", "=", org.id)
      .executeTakeFirstOrThrow()
  ).id;
  return ids;
}
