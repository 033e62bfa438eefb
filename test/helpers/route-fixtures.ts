import assert from "node:assert/strict";
import type { Response, TestContext, TestOrg } from "./harness.ts";
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
  ids.member = await createdId(
    await post("/api/v1/members", {
      email: `roles-member-${Math.random().toString(36).slice(2)}@example.com`,
      name: "Roles member",
      role: "marketer",
    }),
    "member",
  );
  // An outbox message (the email core's read routes take its id).
  const [messageId] = await ctx.database.db.transaction().execute((trx) =>
    ctx.services.email.enqueue(trx, {
      organizationId: org.id,
      to: "roles-mail@example.com",
      kind: "member.invitation",
      language: "en",
      subject: "Roles",
      html: "<p>Roles</p>",
      text: "Roles",
    }),
  );
  if (messageId) ids.message = messageId;
  return ids;
}
