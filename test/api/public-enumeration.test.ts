import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type Response, type TestOrg } from "../helpers/harness.ts";

/**
 * The public form must not tell apart a new address, one already registered for the event
 * and one that was erased: whoever types an address learns nothing about its owner. What
 * differs between the three goes to the address itself (by email), never into the answer.
 */
forEachBackend("public form: no enumeration", (ctx) => {
  let org: TestOrg;
  let slug: string;
  let eventId: string;

  const known = { firstName: "Kari", lastName: "Known", email: "kari@example.com", company: "Acme" };
  const erased = { firstName: "Eli", lastName: "Erased", email: "eli@example.com", company: "Gone AS" };
  const submit = (body: Record<string, unknown>) =>
    ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
      body,
      remoteAddress: "203.0.113.9",
    });

  /** What a client sees: status, body and every header except the clock's. */
  const visible = (res: Response) => {
    const { date: _date, ...headers } = res.headers;
    return { status: res.status, text: res.text, headers };
  };

  before(async () => {
    org = await ctx.createOrg("enumeration");
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Open day",
        startsAt: "2030-09-10T09:00",
        endsAt: "2030-09-10T17:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
        registrationFields: { company: "optional" },
      },
    });
    assert.equal(created.status, 201, created.text);
    eventId = created.body.id;
    slug = created.body.slug;
    const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
      token: org.tokens.marketer,
    });
    assert.equal(published.status, 200, published.text);

    // Someone already registered, through the public form itself.
    const first = await submit(known);
    assert.ok(first.status < 300, first.text);
    // Someone erased, with re-registration blocked.
    const reg = await ctx.request("POST", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: erased },
    });
    assert.equal(reg.status, 201, reg.text);
    const erasure = await ctx.request(
      "DELETE",
      `/api/v1/contacts/${reg.body.contact.id}?blockReimport=true`,
      {
        token: org.tokens.admin,
      },
    );
    assert.equal(erasure.status, 202, erasure.text);
  });

  test("new, already registered and erased addresses get byte-identical answers", async () => {
    const fresh = await submit({ firstName: "Nora", lastName: "New", email: "nora@example.com" });
    const again = await submit({ ...known, firstName: "Mallory", company: "Evil Corp" });
    const gone = await submit(erased);
    const answers = [fresh, again, gone].map(visible);
    assert.ok(fresh.status >= 200 && fresh.status < 300, fresh.text);
    assert.deepEqual(answers[1], answers[0], "already registered looks like new");
    assert.deepEqual(answers[2], answers[0], "erased looks like new");
    // Nothing personal and no secret in the answer: no ids, no token, no join link.
    assert.doesNotMatch(fresh.text, /[0-9a-f]{8}-[0-9a-f]{4}-/i, "no registration id");
    assert.doesNotMatch(fresh.text, /[A-Za-z0-9_-]{32,}/, "no token");
    assert.doesNotMatch(fresh.text, /https?:/, "no link");

    // What happened behind the answer is what should: Nora is registered, the erased
    // person is not, and Kari still has exactly one registration.
    const rows = await ctx.database.db
      .selectFrom("registrations as r")
      .innerJoin("contacts as c", "c.id", "r.contact_id")
      .select(["c.email", "r.status"])
      .where("r.event_id", "=", eventId)
      .where("r.status", "<>", "cancelled")
      .orderBy("c.email")
      .execute();
    assert.deepEqual(
      rows.map((r) => r.email),
      ["kari@example.com", "nora@example.com"],
    );
  });

  test("public input never overwrites the fields of an existing contact", async () => {
    const contact = await ctx.database.db
      .selectFrom("contacts")
      .select(["first_name", "last_name", "company", "job_title"])
      .where("organization_id", "=", org.id)
      .where("email_normalized", "=", known.email)
      .execute();
    assert.deepEqual(contact, [{ first_name: "Kari", last_name: "Known", company: "Acme", job_title: null }]);

    // Also a contact that lacks a field: the form does not fill it in for a stranger.
    const bare = await ctx.request("POST", "/api/v1/contacts", {
      token: org.tokens.marketer,
      body: { firstName: "Bea", lastName: "Bare", email: "bea@example.com" },
    });
    assert.equal(bare.status, 201, bare.text);
    const res = await submit({
      firstName: "Bea",
      lastName: "Bare",
      email: "bea@example.com",
      company: "Injected",
    });
    assert.ok(res.status < 300, res.text);
    const after = await ctx.request("GET", `/api/v1/contacts/${bare.body.id}`, { token: org.tokens.viewer });
    assert.equal(after.body.company, null);
  });
});
