import assert from "node:assert/strict";
import { before, test } from "node:test";
import { forEachBackend, type TestContext, type TestOrg } from "../helpers/harness.ts";

const event = {
  title: "Matching day",
  startsAt: "2030-05-01T09:00",
  endsAt: "2030-05-01T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
};

async function contactCount(ctx: TestContext, organizationId: string) {
  const row = await ctx.database.db
    .selectFrom("contacts")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("organization_id", "=", organizationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

forEachBackend("contacts", (ctx) => {
  let org: TestOrg;
  before(async () => {
    org = await ctx.createOrg();
  });

  test("CRUD; email kept as typed but normalized for comparison", async () => {
    const created = await ctx.request("POST", "/api/v1/contacts", {
      token: org.tokens.marketer,
      body: { firstName: " Ada ", lastName: "Lovelace", email: "  Ada.Lovelace@Example.COM " },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.firstName, "Ada");
    assert.equal(created.body.email, "Ada.Lovelace@Example.COM");
    assert.equal(created.body.company, null);
    const row = await ctx.database.db
      .selectFrom("contacts")
      .select("email_normalized")
      .where("id", "=", created.body.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.email_normalized, "ada.lovelace@example.com");

    const id = created.body.id;
    const got = await ctx.request("GET", `/api/v1/contacts/${id}`, { token: org.tokens.viewer });
    assert.equal(got.status, 200);
    assert.equal(got.body.lastName, "Lovelace");
    const patched = await ctx.request("PATCH", `/api/v1/contacts/${id}`, {
      token: org.tokens.marketer,
      body: { company: "Analytical Engines", email: "ADA@example.org" },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.company, "Analytical Engines");
    assert.equal(patched.body.firstName, "Ada");
    // An empty optional line clears it.
    const cleared = await ctx.request("PATCH", `/api/v1/contacts/${id}`, {
      token: org.tokens.marketer,
      body: { company: "" },
    });
    assert.equal(cleared.body.company, null);
    assert.equal(
      (
        await ctx.request("POST", "/api/v1/contacts", {
          token: org.tokens.viewer,
          body: { firstName: "V", lastName: "V", email: "v@example.com" },
        })
      ).status,
      403,
    );
    const bad = await ctx.request("POST", "/api/v1/contacts", {
      token: org.tokens.marketer,
      body: { firstName: "No", lastName: "Mail", email: "not-an-email" },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, "email");
    const other = await ctx.createOrg("other");
    assert.equal(
      (await ctx.request("GET", `/api/v1/contacts/${id}`, { token: other.tokens.owner })).status,
      404,
    );
    assert.equal(
      (
        await ctx.request("PATCH", `/api/v1/contacts/${id}`, {
          token: other.tokens.owner,
          body: { company: "Hijack" },
        })
      ).status,
      404,
    );
  });

  test("q searches email and full name case-insensitively, literally, within the organization", async () => {
    const own = await ctx.createOrg("search");
    for (const [firstName, lastName, email] of [
      ["Grace", "Hopper", "grace@navy.example"],
      ["Alan", "Turing", "alan@bletchley.example"],
      ["Åse", "Øvrebø", "ase@fjord.example"],
      ["Percent", "100%", "pct@odd.example"],
    ]) {
      const res = await ctx.request("POST", "/api/v1/contacts", {
        token: own.tokens.marketer,
        body: { firstName, lastName, email },
      });
      assert.equal(res.status, 201, res.text);
    }
    const names = async (q: string) => {
      const res = await ctx.request("GET", `/api/v1/contacts?q=${encodeURIComponent(q)}`, {
        token: own.tokens.viewer,
      });
      assert.equal(res.status, 200, res.text);
      return res.body.data.map((c: { lastName: string }) => c.lastName).sort();
    };
    assert.deepEqual(await names("GRACE"), ["Hopper"]);
    assert.deepEqual(await names("alan tur"), ["Turing"]);
    assert.deepEqual(await names("BLETCHLEY"), ["Turing"]);
    assert.deepEqual(await names("åse øvre"), ["Øvrebø"]);
    assert.deepEqual(await names("ÅSE"), ["Øvrebø"]);
    // `%` and `_` are characters, not wildcards.
    assert.deepEqual(await names("%"), ["100%"]);
    assert.deepEqual(await names("_"), []);
    assert.deepEqual(await names("nobody"), []);
    const all = await ctx.request("GET", "/api/v1/contacts?limit=2", { token: own.tokens.viewer });
    assert.equal(all.body.data.length, 2);
    const next = await ctx.request("GET", `/api/v1/contacts?limit=2&cursor=${all.body.nextCursor}`, {
      token: own.tokens.viewer,
    });
    assert.equal(next.body.data.length, 2);
    assert.equal(next.body.nextCursor, null);
    const ids = [...all.body.data, ...next.body.data].map((c: { id: string }) => c.id);
    assert.equal(new Set(ids).size, 4);
  });

  /** Registers the person for a fresh event each time, so "already registered" never interferes. */
  async function registerTwice(
    rule: "email" | "name" | "email_name",
    first: Record<string, string>,
    second: Record<string, string>,
  ) {
    const own = await ctx.createOrg(`rule-${rule}`);
    const set = await ctx.request("PATCH", "/api/v1/organization", {
      token: own.tokens.admin,
      body: { contactMatching: rule },
    });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.contactMatching, rule);
    const ids: string[] = [];
    for (const person of [first, second]) {
      const ev = await ctx.request("POST", "/api/v1/events", { token: own.tokens.marketer, body: event });
      const reg = await ctx.request("POST", `/api/v1/events/${ev.body.id}/registrations`, {
        token: own.tokens.marketer,
        body: { contact: person },
      });
      assert.equal(reg.status, 201, reg.text);
      ids.push(reg.body.contact.id);
    }
    return { ids, count: await contactCount(ctx, own.id), own };
  }

  const ada = { firstName: "Ada", lastName: "Lovelace", email: "ada@example.com" };

  test("rule email: same email in another case is one contact; newer company fills in", async () => {
    const { ids, count } = await registerTwice("email", ada, {
      firstName: "Augusta",
      lastName: "King",
      email: "ADA@Example.com",
      company: "Babbage & Co",
    });
    assert.equal(count, 1);
    assert.equal(ids[0], ids[1]);
    const contact = await ctx.database.db
      .selectFrom("contacts")
      .selectAll()
      .where("id", "=", ids[0] as string)
      .executeTakeFirstOrThrow();
    assert.equal(contact.company, "Babbage & Co");
    // Identity fields stay as first recorded.
    assert.equal(contact.first_name, "Ada");
  });

  test("rule email: a different email is a second contact even with the same name", async () => {
    const { count } = await registerTwice("email", ada, { ...ada, email: "ada@other.example" });
    assert.equal(count, 2);
  });

  test("rule name: same name in another case matches across emails; another name does not", async () => {
    const same = await registerTwice("name", ada, {
      firstName: "ADA",
      lastName: "lovelace",
      email: "x@y.example",
    });
    assert.equal(same.count, 1);
    const different = await registerTwice("name", ada, { ...ada, firstName: "Adah" });
    assert.equal(different.count, 2);
  });

  test("rule name compares non-ASCII names case-insensitively", async () => {
    const { count } = await registerTwice(
      "name",
      { firstName: "Åse", lastName: "Øvrebø", email: "a@example.com" },
      { firstName: "ÅSE", lastName: "ØVREBØ", email: "b@example.com" },
    );
    assert.equal(count, 1);
  });

  test("rule email_name: needs both to match", async () => {
    const both = await registerTwice("email_name", ada, {
      firstName: "ada",
      lastName: "LOVELACE",
      email: "Ada@Example.com",
      company: "Other",
    });
    assert.equal(both.count, 1);
    const emailOnly = await registerTwice("email_name", ada, { ...ada, firstName: "Augusta" });
    assert.equal(emailOnly.count, 2);
    const nameOnly = await registerTwice("email_name", ada, { ...ada, email: "ada@elsewhere.example" });
    assert.equal(nameOnly.count, 2);
  });

  test("only admins and owners change the matching rule; unknown rules are 400", async () => {
    const own = await ctx.createOrg("rule-access");
    const byMarketer = await ctx.request("PATCH", "/api/v1/organization", {
      token: own.tokens.marketer,
      body: { contactMatching: "name" },
    });
    assert.equal(byMarketer.status, 403);
    const bad = await ctx.request("PATCH", "/api/v1/organization", {
      token: own.tokens.owner,
      body: { contactMatching: "phone" },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, "contactMatching");
    const org2 = await ctx.request("GET", "/api/v1/organization", { token: own.tokens.viewer });
    assert.equal(org2.body.contactMatching, "email");
  });
});
