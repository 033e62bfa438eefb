import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import type { ProviderSimDriver } from "../helpers/provider-driver.ts";
import { eventually, startTestSmtp, type TestSmtp } from "../helpers/smtp.ts";
import { acceptTerms, addConfiguration } from "../helpers/webinar-setup.ts";
import { start as startGoto } from "../providers/drivers/goto.ts";
import { start as startOn24 } from "../providers/drivers/on24.ts";
import { start as startZoom } from "../providers/drivers/zoom.ts";
import { mergedEnv } from "../providers/guarantees/setup.ts";

/**
 * One sender, never two: for each webinar either Auditorium sends the registrant's
 * confirmation and reminders and the provider's own are switched off, or the provider sends
 * them and ours are off. Each simulator records the emails its provider would send
 * (GET /_sim/emails: the confirmation at registration, a reminder once due), the test SMTP
 * server receives ours: together, each attendee gets exactly one confirmation and one
 * reminder, for ON24 (UpdateEmailNotification), Zoom (settings) and GoTo (emailSettings).
 */
const drivers: ProviderSimDriver[] = [await startOn24(), await startZoom(), await startGoto()];
Object.assign(testEnv, mergedEnv(drivers));
let smtp: TestSmtp;
before(async () => {
  smtp = await startTestSmtp();
  testEnv.AUDITORIUM_SMTP_URL = smtp.url;
  testEnv.AUDITORIUM_MAIL_FROM = "Auditorium <events@auditorium.test>";
  testEnv.AUDITORIUM_SMTP_RATE_PER_SECOND = "200";
});
after(async () => {
  await smtp.stop();
  for (const d of drivers) await d.close();
});

const HOUR = 3600_000;

forEachBackend("one sender, never two", (ctx, backend) => {
  let org: TestOrg;
  const configIds = new Map<string, string>();

  before(async () => {
    org = await ctx.createOrg("one-sender");
    await ctx.services.syncWorker.start();
    await ctx.services.emailSender?.start();
    await acceptTerms(ctx, org);
    for (const d of drivers) {
      configIds.set(
        d.kind,
        await addConfiguration(ctx, org, {
          provider: d.kind,
          name: d.kind,
          requestsPerSecond: 50,
          settings: d.configuration.settings,
          credentials: d.configuration.credentials,
        }),
      );
    }
  });

  for (const driver of drivers) {
    const kind = driver.kind;
    const at = (local: string) => `${local}-${kind}@${backend}.example.com`;
    const providerEmails = async (to: string) =>
      ((await driver.sentEmails?.()) ?? []).filter((e) => e.to === to).map((e) => e.kind);

    /** A published webinar event starting in 12 hours: the 24-hour reminders of both sides are due. */
    async function webinarEvent(title: string, registrantEmails?: "auditorium" | "provider") {
      const start = new Date(Date.now() + 12 * HOUR);
      const event = await ctx.request("POST", "/api/v1/events", {
        token: org.tokens.marketer,
        body: {
          title,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + HOUR).toISOString(),
          timeZone: "Europe/Oslo",
          format: "webinar",
          webinarConfigurationId: configIds.get(kind),
          ...(driver.webinarType !== null && { webinarType: driver.webinarType }),
        },
      });
      assert.equal(event.status, 201, event.text);
      const eventId = event.body.id as string;
      if (registrantEmails) {
        const override = await ctx.request("PATCH", `/api/v1/events/${eventId}/registrant-settings`, {
          token: org.tokens.marketer,
          body: { registrantEmails },
        });
        assert.deepEqual(override.body, { doubleOptIn: null, registrantEmails });
      }
      const published = await ctx.request("POST", `/api/v1/events/${eventId}/publish`, {
        token: org.tokens.marketer,
      });
      assert.equal(published.status, 200, published.text);
      return { eventId, slug: published.body.slug as string };
    }
    const webinarOf = (eventId: string) =>
      eventually(async () => {
        const w = await ctx.database.db
          .selectFrom("webinars")
          .select(["state", "provider_webinar_id", "version", "synced_version"])
          .where("event_id", "=", eventId)
          .executeTakeFirst();
        return w?.state === "provisioned" && w.version === w.synced_version ? w : undefined;
      });
    async function registerAndSync(slug: string, email: string) {
      const res = await ctx.request("POST", `/api/v1/public/events/${slug}/registrations`, {
        body: { firstName: "Una", lastName: "Once", email },
      });
      assert.equal(res.status, 202, res.text);
      const { registrationId } = ctx.notices.last("registered");
      await eventually(async () => {
        const s = await ctx.database.db
          .selectFrom("registration_syncs")
          .select("state")
          .where("registration_id", "=", registrationId)
          .executeTakeFirst();
        return s?.state === "synced";
      });
      return registrationId;
    }
    const ourMessages = (registrationId: string) =>
      ctx.database.db
        .selectFrom("email_messages")
        .select(["kind"])
        .where("registration_id", "=", registrationId)
        .where("kind", "in", ["registration.confirmation", "registration.reminder"])
        .orderBy("created_at")
        .execute();

    test(`${kind}: Auditorium sends, the provider's are switched off: exactly our one confirmation and reminder`, async () => {
      const chosen = await ctx.request(
        "PATCH",
        `/api/v1/webinar-configurations/${configIds.get(kind)}/registrant-emails`,
        { token: org.tokens.admin, body: { registrantEmails: "auditorium" } },
      );
      assert.equal(chosen.status, 200, chosen.text);
      const bad = await ctx.request(
        "PATCH",
        `/api/v1/webinar-configurations/${configIds.get(kind)}/registrant-emails`,
        { token: org.tokens.admin, body: { registrantEmails: "both" } },
      );
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "registrantEmails");
      const { eventId, slug } = await webinarEvent(`Ours on ${kind}`);
      const webinar = await webinarOf(eventId);
      assert.equal(
        await driver.confirmationEmailOn?.(webinar.provider_webinar_id ?? ""),
        false,
        "switched off",
      );

      const address = at("ours");
      const registrationId = await registerAndSync(slug, address);
      await ctx.services.reminders.sendDue(new Date());
      const received = await eventually(async () =>
        smtp.to(address).length >= 2 ? smtp.to(address) : undefined,
      );
      assert.deepEqual(received.map((m) => m.parsed.subject).sort(), [
        `Reminder: Ours on ${kind}`,
        `You are registered: Ours on ${kind}`,
      ]);
      assert.deepEqual(
        (await ourMessages(registrationId)).map((m) => m.kind),
        ["registration.confirmation", "registration.reminder"],
      );
      assert.deepEqual(await providerEmails(address), [], `${kind} sent nothing`);
    });

    test(`${kind}: the provider sends, ours are off: exactly its one confirmation and reminder; switching over reaches it`, async () => {
      const { eventId, slug } = await webinarEvent(`Theirs on ${kind}`, "provider");
      const webinar = await webinarOf(eventId);
      const providerId = webinar.provider_webinar_id ?? "";
      assert.equal(await driver.confirmationEmailOn?.(providerId), true);

      const address = at("theirs");
      const registrationId = await registerAndSync(slug, address);
      await ctx.services.reminders.sendDue(new Date());
      assert.deepEqual(await providerEmails(address), ["confirmation", "reminder"]);
      assert.deepEqual(await providerEmails(address), ["confirmation", "reminder"], "a reminder once");
      assert.deepEqual(await ourMessages(registrationId), [], "Auditorium sent none");
      assert.equal(smtp.to(address).length, 0);

      // The organizer hands it to Auditorium: the existing webinar's switch goes off at the provider.
      const back = await ctx.request("PATCH", `/api/v1/events/${eventId}/registrant-settings`, {
        token: org.tokens.marketer,
        body: { registrantEmails: "auditorium" },
      });
      assert.equal(back.status, 200, back.text);
      await eventually(async () => (await driver.confirmationEmailOn?.(providerId)) === false);
      const late = at("late");
      await registerAndSync(slug, late);
      assert.deepEqual(await providerEmails(late), [], "the provider sends no more");
      const ours = await eventually(async () => (smtp.to(late).length ? smtp.to(late) : undefined));
      assert.match(ours[0]?.parsed.subject ?? "", /^You are registered: Theirs on /);
    });
  }
});
