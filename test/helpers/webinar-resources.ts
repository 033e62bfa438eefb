import type { TestContext } from "./harness.ts";

/**
 * A webinar configuration and a webinar for route-table tests (roles, tenancy). Its
 * credentials are removed at once: those suites must never make a provider call.
 */
export async function webinarResources(ctx: TestContext, token: string, eventId: string) {
  const terms = await ctx.request("GET", "/api/v1/webinar/terms", { token });
  await ctx.request("POST", "/api/v1/webinar/terms/accept", { token, body: { version: terms.body.version } });
  const config = await ctx.request("POST", "/api/v1/webinar-configurations", {
    token,
    body: {
      provider: "on24",
      name: "Fixture account",
      settings: { region: "NA" },
      credentials: { clientId: "1", accessTokenKey: "fixture-key", accessTokenSecret: "fixture-secret" },
    },
  });
  if (config.status !== 201) throw new Error(`webinar configuration: ${config.status} ${config.text}`);
  await ctx.request("DELETE", `/api/v1/webinar-configurations/${config.body.id}/credentials`, { token });
  const patched = await ctx.request("PATCH", `/api/v1/events/${eventId}`, {
    token,
    body: { format: "hybrid", webinarConfigurationId: config.body.id },
  });
  if (patched.status !== 200) throw new Error(`event webinar: ${patched.status} ${patched.text}`);
  const webinars = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token });
  const webinar = webinars.body.data[0]?.id;
  if (!webinar) throw new Error("no webinar was planned for the event");
  // An erasure (of a contact made for it), for the privacy routes.
  const contact = await ctx.request("POST", "/api/v1/contacts", {
    token,
    body: { firstName: "Erased", lastName: "Fixture", email: `erased-${webinar.slice(-12)}@example.com` },
  });
  const erased = await ctx.request("DELETE", `/api/v1/contacts/${contact.body.id}`, { token });
  if (erased.status !== 202) throw new Error(`erasure: ${erased.status} ${erased.text}`);
  return {
    webinarconfiguration: config.body.id as string,
    webinar: webinar as string,
    erasure: erased.body.id as string,
  };
}
