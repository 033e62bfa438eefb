import assert from "node:assert/strict";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, syncCounts, waitUntil } from "../../webinars/fixtures.ts";
import { providerSetup, provisioned, registrationsOf } from "./setup.ts";

interface ProviderPart {
  provider: string;
  state: "pending" | "done" | "failed";
  attempts: number;
  lastError: string | null;
  retainedByProvider: string[];
}

/** What one run of the scenario saw, for the suite's summary line. */
export interface ErasureSummary {
  attemptsDuringOutage: number;
  secondsToDone: number;
  retained: string[];
}

/**
 * Erasing a person reaches the provider with the provider's own API: while the provider is
 * down the erasure stays visibly `pending` with its attempts and the provider's error, and is
 * retried; once it is back the erasure is `done`, the person is gone at the simulator (or, where
 * the provider's API cannot delete, cancelled — and the status says what the provider keeps),
 * and everyone else is untouched.
 */
export async function erasureScenario(
  ctx: TestContext,
  org: TestOrg,
  driver: ProviderSimDriver,
): Promise<ErasureSummary> {
  const count = 3;
  const { eventId } = await providerSetup(ctx, org, driver, "erasure");
  await registerMany(ctx, org, eventId, count, `er-${driver.kind}-`);
  await waitUntil(
    "registrations synced",
    async () => (await syncCounts(ctx, eventId)).synced === count,
    120_000,
  );
  const webinar = await provisioned(ctx, org, eventId);
  const regs = await registrationsOf(ctx, org, eventId);
  const [erased, ...kept] = regs.map((r) => r.contact.email.toLowerCase());
  assert.ok(erased);
  assert.equal(await driver.personAt(webinar.providerWebinarId, erased), "registered");
  const contact = await ctx.database.db
    .selectFrom("contacts")
    .select("id")
    .where("organization_id", "=", org.id)
    .where("email_normalized", "=", erased)
    .executeTakeFirstOrThrow();

  await driver.setOutage(true);
  let summary: ErasureSummary;
  try {
    const res = await ctx.request("DELETE", `/api/v1/contacts/${contact.id}`, { token: org.tokens.admin });
    assert.equal(res.status, 202, res.text);
    const erasureId = res.body.id as string;
    const started = Date.now();
    const part = async (): Promise<ProviderPart> => {
      const e = await ctx.request("GET", `/api/v1/erasures/${erasureId}`, { token: org.tokens.admin });
      assert.equal(e.status, 200, e.text);
      assert.ok(!e.text.toLowerCase().includes(erased), "the status carries no address");
      assert.equal(e.body.providers.length, 1, e.text);
      return e.body.providers[0];
    };

    // The outage is visible: pending, attempts counted, the provider's error shown.
    const during = await waitUntil(
      "erasure retried during the outage",
      async () => {
        const p = await part();
        return p.state === "pending" && p.attempts >= 2 && p.lastError ? p : null;
      },
      60_000,
    );
    assert.equal(during.provider, driver.kind);
    assert.equal(await driver.personAt(webinar.providerWebinarId, erased), "registered", "not yet erased");

    await driver.setOutage(false);
    const done = await waitUntil(
      "erasure done after the outage",
      async () => {
        const p = await part();
        assert.notEqual(p.state, "failed", p.lastError ?? "");
        return p.state === "done" ? p : null;
      },
      90_000,
    );
    assert.equal(done.lastError, null);
    summary = {
      attemptsDuringOutage: during.attempts,
      secondsToDone: (Date.now() - started) / 1000,
      retained: done.retainedByProvider,
    };
    // Where the provider keeps something, the status says so; a provider that can only cancel
    // must say it.
    if (driver.erasureLeaves !== "gone") assert.ok(done.retainedByProvider.length > 0, "what stays is named");
    for (const line of done.retainedByProvider) assert.ok(!line.toLowerCase().includes(erased));
  } finally {
    await driver.setOutage(false);
  }

  assert.equal(await driver.personAt(webinar.providerWebinarId, erased), driver.erasureLeaves);
  for (const email of kept)
    assert.equal(await driver.personAt(webinar.providerWebinarId, email), "registered", email);
  // Nothing of the person is left here either: the sealed address and the provider's ids are wiped.
  const row = await ctx.database.db
    .selectFrom("provider_erasures")
    .select(["sealed_email", "targets", "pending_hash"])
    .where("organization_id", "=", org.id)
    .where("state", "=", "done")
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
  assert.deepEqual(row, { sealed_email: null, targets: null, pending_hash: null });
  return summary;
}
