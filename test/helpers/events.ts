import assert from "node:assert/strict";
import type { TestContext, TestOrg } from "./harness.ts";

/** The event most tests need: one day, in the future, on site. Override any field. */
export const ONE_DAY_EVENT = {
  title: "One day",
  startsAt: "2030-09-10T09:00",
  endsAt: "2030-09-10T17:00",
  timeZone: "UTC",
  format: "onsite",
};

/** Creates an event as the org's marketer, not published; answers its id and slug. */
export async function draftEvent(
  ctx: TestContext,
  org: TestOrg,
  fields: Record<string, unknown> = {},
): Promise<{ id: string; slug: string }> {
  const created = await ctx.request("POST", "/api/v1/events", {
    token: org.tokens.marketer,
    body: { ...ONE_DAY_EVENT, ...fields },
  });
  assert.equal(created.status, 201, created.text);
  return { id: created.body.id, slug: created.body.slug };
}

/** Creates an event as the org's marketer and publishes it; answers its id and slug. */
export async function publishedEvent(
  ctx: TestContext,
  org: TestOrg,
  fields: Record<string, unknown> = {},
): Promise<{ id: string; slug: string }> {
  const event = await draftEvent(ctx, org, fields);
  const published = await ctx.request("POST", `/api/v1/events/${event.id}/publish`, {
    token: org.tokens.marketer,
  });
  assert.equal(published.status, 200, published.text);
  return event;
}

/** Registers through the API as the org's marketer; answers the response as it came (the caller asserts). */
export function registerViaApi(
  ctx: TestContext,
  org: TestOrg,
  eventId: string,
  body: unknown,
  headers?: Record<string, string>,
) {
  return ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
    token: org.tokens.marketer,
    body,
    ...(headers && { headers }),
  });
}

/** A person the API must register (201): answers the registration. */
export async function registered(
  ctx: TestContext,
  org: TestOrg,
  eventId: string,
  contact: { firstName: string; lastName: string; email: string },
  sessionIds?: string[],
): Promise<{ id: string; status: string; contact: { id: string; email: string } }> {
  const res = await registerViaApi(ctx, org, eventId, { contact, ...(sessionIds && { sessionIds }) });
  assert.equal(res.status, 201, res.text);
  return res.body;
}
