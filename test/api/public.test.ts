import assert from "node:assert/strict";
import { before, test } from "node:test";
import { draftEvent, publishedEvent } from "../helpers/events.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

const event = {
  title: "Open day",
  startsAt: "2030-09-10T09:00",
  endsAt: "2030-09-10T17:00",
  timeZone: "Europe/Oslo",
  format: "hybrid",
};
const person = { firstName: "Pat", lastName: "Public", email: "pat@example.com" };

forEachBackend("public endpoint", (ctx) => {
  let org: TestOrg;

  /** Creates (and by default publishes) an event; answers its id and slug. */
  const makeEvent = (extra: Record<string, unknown> = {}, publish = true) =>
    (publish ? publishedEvent : draftEvent)(ctx, org, { ...event, ...extra });
  const registerPublic = (slug: string, body: unknown) =>
    ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, { body });
  /** The registration the last accepted submission made, as its registrant was told (by email). */
  const lastRegistered = () => {
    const n = ctx.notices.last("registered");
    return { registrationId: n.registrationId, cancelToken: n.pageToken as string };
  };
  const statusOf = async (registrationId: string) =>
    (
      await ctx.database.db
        .selectFrom("registrations")
        .select("status")
        .where("id", "=", registrationId)
        .executeTakeFirstOrThrow()
    ).status;

  before(async () => {
    org = await ctx.createOrg();
  });

  test("only published events are shown, without authentication", async () => {
    const draft = await makeEvent({}, false);
    assert.equal((await ctx.request("GET", `/api/v1/public/events/${draft.slug}`)).status, 404);
    const published = await makeEvent({ registrationFields: { company: "optional" }, consentText: "OK?" });
    await ctx.request("POST", `/api/v1/events/${published.id}/sessions`, {
      token: org.tokens.marketer,
      body: { title: "Talk", startsAt: "2030-09-10T10:00", endsAt: "2030-09-10T11:00" },
    });
    const res = await ctx.request("GET", `/api/v1/public/events/${published.slug}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.title, "Open day");
    assert.equal(res.body.startsAtLocal, "2030-09-10T09:00:00+02:00");
    assert.equal(res.body.registrationOpen, true);
    assert.deepEqual(res.body.fields, {
      firstName: "required",
      lastName: "required",
      email: "required",
      company: "optional",
    });
    assert.equal(res.body.consentText, "OK?");
    assert.equal(res.body.sessions.length, 1);
    // Nothing internal leaks: no ids of the event or the organization, no capacity.
    assert.equal(res.body.id, undefined);
    assert.equal(res.body.organizationId, undefined);
    assert.equal(res.body.capacity, undefined);
    await ctx.request("POST", `/api/v1/events/${published.id}/cancel`, { token: org.tokens.marketer });
    assert.equal((await ctx.request("GET", `/api/v1/public/events/${published.slug}`)).status, 404);
    assert.equal((await registerPublic(published.slug, person)).status, 404);
    assert.equal((await ctx.request("GET", "/api/v1/public/events/Bad_Slug")).status, 400);
  });

  test("a draft event refuses public registrations with 404", async () => {
    const draft = await makeEvent({}, false);
    const res = await registerPublic(draft.slug, person);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, "not_found");
  });

  test("only the fields the event asks for: unasked is 400, a missing required one is 400", async () => {
    const { id, slug } = await makeEvent({ registrationFields: { jobTitle: "required" } });
    const company = await registerPublic(slug, { ...person, company: "Acme", jobTitle: "CTO" });
    assert.equal(company.status, 400);
    assert.equal(company.body.error.field, "company");
    const missing = await registerPublic(slug, person);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.field, "jobTitle");
    const blank = await registerPublic(slug, { ...person, jobTitle: "   " });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.error.field, "jobTitle");
    const unknown = await registerPublic(slug, { ...person, jobTitle: "CTO", phone: "123" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.error.field, "phone");
    const count = await ctx.database.db
      .selectFrom("registrations")
      .select("id")
      .where("event_id", "=", id)
      .execute();
    assert.equal(count.length, 0);
    const ok = await registerPublic(slug, { ...person, jobTitle: "CTO" });
    assert.equal(ok.status, 202, ok.text);
    assert.deepEqual(ok.body, { status: "submitted" });
    const made = lastRegistered();
    assert.match(made.cancelToken, /^[A-Za-z0-9_-]{43}$/);
    const reg = await ctx.request("GET", `/api/v1/registrations/${made.registrationId}`, {
      token: org.tokens.viewer,
    });
    assert.equal(reg.body.status, "registered");
    assert.equal(reg.body.source, "public");
    assert.equal(reg.body.contact.jobTitle, "CTO");
    // A second submission for the same person answers the same, registers nobody twice,
    // and is told to the address only.
    const again = await registerPublic(slug, { ...person, email: "PAT@example.com", jobTitle: "CTO" });
    assert.equal(again.status, 202, again.text);
    assert.equal(ctx.notices.last("already_registered").registrationId, made.registrationId);
  });

  test("consent is required when the event has a consent text, and recorded", async () => {
    const { slug } = await makeEvent({ consentText: "We keep your name for this event." });
    const without = await registerPublic(slug, person);
    assert.equal(without.status, 422);
    assert.equal(without.body.error.field, "consent");
    const declined = await registerPublic(slug, { ...person, consent: false });
    assert.equal(declined.status, 422);
    assert.equal(declined.body.error.field, "consent");
    const accepted = await registerPublic(slug, { ...person, consent: true });
    assert.equal(accepted.status, 202, accepted.text);
    const { registrationId } = lastRegistered();
    const reg = await ctx.request("GET", `/api/v1/registrations/${registrationId}`, {
      token: org.tokens.viewer,
    });
    assert.ok(reg.body.consentAt, "consentAt recorded");
    assert.ok(Math.abs(Date.parse(reg.body.consentAt) - Date.now()) < 60_000);
    const row = await ctx.database.db
      .selectFrom("registrations")
      .select("consent_text")
      .where("id", "=", registrationId)
      .executeTakeFirstOrThrow();
    assert.equal(row.consent_text, "We keep your name for this event.");

    const noConsentText = await makeEvent();
    const unasked = await registerPublic(noConsentText.slug, { ...person, consent: true });
    assert.equal(unasked.status, 400);
    assert.equal(unasked.body.error.field, "consent");
  });

  test("outside the registration window: 409 not yet open / closed", async () => {
    const future = await makeEvent({ registrationOpensAt: "2030-01-01T00:00" });
    const shown = await ctx.request("GET", `/api/v1/public/events/${future.slug}`);
    assert.equal(shown.body.registrationOpen, false);
    const early = await registerPublic(future.slug, person);
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, "registration_not_yet_open");
    const past = await makeEvent({ registrationClosesAt: "2026-01-01T00:00Z" });
    const late = await registerPublic(past.slug, person);
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, "registration_closed");
    const over = await makeEvent({ startsAt: "2025-01-01T09:00", endsAt: "2025-01-01T10:00" });
    assert.equal((await registerPublic(over.slug, person)).body.error.code, "registration_closed");
  });

  test("cancel with the token: cancelled, the waitlist moves up; unknown tokens are 404", async () => {
    const { id, slug } = await makeEvent({ capacity: 1 });
    await registerPublic(slug, { ...person, email: "first@example.com" });
    const first = lastRegistered();
    await registerPublic(slug, { ...person, email: "second@example.com" });
    const second = lastRegistered();
    assert.equal(await statusOf(first.registrationId), "registered");
    assert.equal(await statusOf(second.registrationId), "waitlisted");
    const cancel = await ctx.request("POST", "/api/v1/public/registrations/cancel", {
      body: { token: first.cancelToken },
    });
    assert.equal(cancel.status, 200, cancel.text);
    assert.deepEqual(cancel.body, { id: first.registrationId, status: "cancelled" });
    const promoted = await ctx.request("GET", `/api/v1/registrations/${second.registrationId}`, {
      token: org.tokens.viewer,
    });
    assert.equal(promoted.body.status, "registered");
    const statuses = await ctx.database.db
      .selectFrom("registrations")
      .select("status")
      .where("event_id", "=", id)
      .orderBy("id")
      .execute();
    assert.deepEqual(
      statuses.map((s) => s.status),
      ["cancelled", "registered"],
    );
    const unknown = await ctx.request("POST", "/api/v1/public/registrations/cancel", {
      body: { token: "not-a-real-token" },
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, "not_found");
  });
});
