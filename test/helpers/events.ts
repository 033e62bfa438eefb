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

/** Creates an event as the org's marketer and publishes it; answers its id and slug. */
export async function publishedEvent(
  ctx: TestContext,
  org: TestOrg,
  fields: Record<string, unknown> = {},
): Promise<{ id: string; slug: string }> {
  const created = await ctx.request("POST", "/api/v1/events", {
    token: org.tokens.marketer,
    body: { ...ONE_DAY_EVENT, ...fields },
  });
  assert.equal(created.status, 201, created.text);
  const published = await ctx.request("POST", `/api/v1/events/${created.body.id}/publish`, {
    token: org.tokens.marketer,
  });
  assert.equal(published.status, 200, published.text);
  return { id: created.body.id, slug: created.body.slug };
}
