// The one way tests set up a webinar, for every provider: terms accepted, a configuration of
// the provider's account, and an event that runs as a webinar on it. Provider-specific
// accounts live with each simulator's harness; this file knows none of them.
import assert from "node:assert/strict";
import type { TestContext, TestOrg } from "./harness.ts";

export interface ConfigurationInput {
  provider: string;
  credentials: Record<string, string>;
  settings?: Record<string, unknown>;
  name?: string;
  requestsPerSecond?: number;
}

/** Accepts the current webinar terms for the organization (a no-op when already accepted). */
export async function acceptTerms(ctx: TestContext, org: TestOrg) {
  const admin = org.tokens.admin;
  const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token: admin });
  if (terms.body.current) return;
  const accepted = await ctx.request("POST", "/api/v1/webinar/terms/accept", {
    token: admin,
    body: { version: terms.body.version },
  });
  assert.ok(accepted.status < 300, `terms: ${accepted.status} ${accepted.text}`);
}

/** A configuration of the provider's account; its answer never carries a credential. */
export async function addConfiguration(ctx: TestContext, org: TestOrg, input: ConfigurationInput) {
  const config = await ctx.request("POST", "/api/v1/webinar-configurations", {
    token: org.tokens.admin,
    body: {
      provider: input.provider,
      name: input.name ?? input.provider,
      settings: input.settings ?? {},
      ...(input.requestsPerSecond !== undefined && { requestsPerSecond: input.requestsPerSecond }),
      credentials: input.credentials,
    },
  });
  assert.equal(config.status, 201, config.text);
  for (const value of Object.values(input.credentials))
    assert.ok(value.length < 6 || !config.text.includes(value), "a credential came back in the answer");
  return config.body.id as string;
}

/** An event (a webinar starting in an hour, by default) on the configuration. */
export async function addWebinarEvent(
  ctx: TestContext,
  org: TestOrg,
  configurationId: string,
  event: Record<string, unknown> = {},
) {
  const start = new Date(Date.now() + 3600_000);
  const created = await ctx.request("POST", "/api/v1/events", {
    token: org.tokens.marketer,
    body: {
      title: "Webinar under test",
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      timeZone: "Europe/Oslo",
      format: "webinar",
      webinarConfigurationId: configurationId,
      ...event,
    },
  });
  assert.equal(created.status, 201, created.text);
  return created.body.id as string;
}

/** Terms, a configuration and a webinar event on it. */
export async function webinarEvent(
  ctx: TestContext,
  org: TestOrg,
  input: ConfigurationInput & { event?: Record<string, unknown> },
) {
  await acceptTerms(ctx, org);
  const configId = await addConfiguration(ctx, org, input);
  const eventId = await addWebinarEvent(ctx, org, configId, input.event);
  return { configId, eventId };
}

/** A Zoom webinar (type 5) on a configuration of `credentials` (the Zoom simulator's account). */
export const zoomWebinar = (
  ctx: TestContext,
  org: TestOrg,
  credentials: Record<string, string>,
  event: Record<string, unknown> = {},
) =>
  webinarEvent(ctx, org, {
    provider: "zoom",
    name: "Zoom",
    requestsPerSecond: 200,
    credentials,
    event: { webinarType: "5", ...event },
  });
