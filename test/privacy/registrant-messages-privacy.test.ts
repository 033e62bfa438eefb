import assert from "node:assert/strict";
import { before, test } from "node:test";
import { sql } from "kysely";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/**
 * Registrant messages hold an address and words about the person: erasure takes every one of
 * them, queued or stored, and retention takes them with the registrations they belong to.
 * (No SMTP here: messages are kept, which is where they would wait while a server is down.)
 */
forEachBackend("registrant messages: erasure and retention", (ctx) => {
  let org: TestOrg;
  const messagesTo = (address: string) =>
    ctx.database.db
      .selectFrom("email_messages")
      .select(["id", "kind", "registration_id"])
      .where("recipient", "=", address)
      .execute();

  before(async () => {
    org = await ctx.createOrg("privacy-mail");
  });

  test("erasing a person deletes every message to them, and only theirs", async () => {
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Erasable",
        startsAt: "2030-09-10T09:00",
        endsAt: "2030-09-10T10:00",
        timeZone: "Europe/Oslo",
        format: "onsite",
      },
    });
    const published = await ctx.request("POST", `/api/v1/events/${created.body.id}/publish`, {
      token: org.tokens.marketer,
    });
    const submit = (firstName: string, email: string) =>
      ctx.request("POST", `/api/v1/public/events/${published.body.slug}/registrations`, {
        body: { firstName, lastName: "Person", email },
      });
    await submit("Ea", "ea@example.com");
    await submit("Ea", "ea@example.com"); // an already-registered notice too
    await submit("Kim", "keep@example.com");
    const before = await messagesTo("ea@example.com");
    assert.deepEqual(before.map((m) => m.kind).sort(), [
      "registration.already_registered",
      "registration.confirmation",
    ]);
    const contact = await ctx.database.db
      .selectFrom("contacts")
      .select("id")
      .where("organization_id", "=", org.id)
      .where("email_normalized", "=", "ea@example.com")
      .executeTakeFirstOrThrow();
    const factsAboutEa = () =>
      ctx.database.db
        .selectFrom("email_messages")
        .select("id")
        .where(sql<string>`render::text`, "like", '%"firstName": "Ea"%')
        .execute();
    assert.equal(
      (await factsAboutEa()).length,
      2,
      "the confirmation and the notice wait to be rendered, with her name",
    );
    const erased = await ctx.request("DELETE", `/api/v1/contacts/${contact.id}`, { token: org.tokens.admin });
    assert.equal(erased.status, 202, erased.text);
    assert.deepEqual(await messagesTo("ea@example.com"), []);
    assert.equal((await messagesTo("keep@example.com")).length, 1, "someone else's message stays");
    const anywhere = await ctx.database.db
      .selectFrom("email_messages")
      .select("id")
      .where((eb) =>
        eb.or([
          eb("text_body", "like", "%ea@example.com%"),
          eb("html", "like", "%Ea,%"),
          // A confirmation not rendered yet holds the facts it will say (the worker renders it).
          eb(sql<string>`render::text`, "like", '%"firstName": "Ea"%'),
        ]),
      )
      .execute();
    assert.deepEqual(anywhere, []);
  });

  test("retention deletes a registration's messages with the registration", async () => {
    // An event that ended 40 days ago, with a registration and its confirmation.
    const created = await ctx.request("POST", "/api/v1/events", {
      token: org.tokens.marketer,
      body: {
        title: "Long ago",
        startsAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
        endsAt: new Date(Date.now() - 40 * 86_400_000 + 3_600_000).toISOString(),
        timeZone: "UTC",
        format: "onsite",
      },
    });
    assert.equal(created.status, 201, created.text);
    const reg = await ctx.request("POST", `/api/v1/events/${created.body.id}/registrations`, {
      token: org.tokens.marketer,
      body: { contact: { firstName: "Old", lastName: "Timer", email: "old@example.com" } },
    });
    assert.equal(reg.status, 201, reg.text);
    await ctx.database.db.transaction().execute((trx) =>
      ctx.services.email.enqueue(trx, {
        organizationId: org.id,
        to: "old@example.com",
        kind: "registration.confirmation",
        language: "en",
        subject: "You are registered: Long ago",
        html: "<p>Hello Old</p>",
        text: "Hello Old",
        registrationId: reg.body.id,
      }),
    );
    assert.equal((await messagesTo("old@example.com")).length, 1);
    const set = await ctx.request("PUT", "/api/v1/privacy/retention", {
      token: org.tokens.admin,
      body: { registrationsDays: 30 },
    });
    assert.equal(set.status, 200, set.text);
    await ctx.services.retention.sweep(org.id);
    assert.deepEqual(await messagesTo("old@example.com"), []);
  });
});
