import assert from "node:assert/strict";
import { sql } from "kysely";
import { uuidv7 } from "../../../src/lib/ids.ts";
import { createSyncWorker } from "../../../src/modules/webinars/sync/index.ts";
import type { ProviderKind, WebinarProvider } from "../../../src/providers/contract.ts";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { providerSetup } from "./setup.ts";

/** Thrown after the provider created the webinar and before we stored its id: a worker dying there. */
class WorkerDied extends Error {}

/**
 * Webinar creation makes exactly one webinar at the provider: when the worker dies after the
 * provider created it and before its id was stored (the retry adopts it), and when two webinar
 * jobs for the same webinar run at once (one create). The webinar.sync handler runs here
 * directly, over the real adapter and simulator, on a webinar row that no queued job knows,
 * so the suite's own workers cannot run it in between.
 */
export async function createOnceScenario(ctx: TestContext, org: TestOrg, driver: ProviderSimDriver) {
  const { configId, eventId } = await providerSetup(ctx, org, driver, "create once", "onsite");
  const real = ctx.runtime.providers[driver.kind];
  let dieAfterCreate = false;
  let creates = 0;
  const provider: WebinarProvider = {
    ...real,
    async createWebinar(account, spec) {
      creates++;
      const made = await real.createWebinar(account, spec);
      if (dieAfterCreate) throw new WorkerDied("worker died before storing the webinar");
      return made;
    },
  };
  const providers = { ...ctx.runtime.providers, [driver.kind]: provider } as Record<
    ProviderKind,
    WebinarProvider
  >;
  const handle = createSyncWorker({
    database: ctx.database,
    queue: ctx.runtime.queue,
    providers,
    configurations: ctx.services.configurations,
    contacts: ctx.services.contacts,
    gate: ctx.runtime.gate,
    envelope: ctx.runtime.envelope,
  }).handlers["webinar.sync"];

  const event = await ctx.database.db
    .selectFrom("events")
    .select("starts_at")
    .where("id", "=", eventId)
    .executeTakeFirstOrThrow();
  const start = event.starts_at;

  /** A webinar row of a session of the event, as the planner makes it, with no job queued for it. */
  async function webinarRow(sessionTitle: string) {
    const session = await ctx.request("POST", `/api/v1/events/${eventId}/sessions`, {
      token: org.tokens.marketer,
      body: {
        title: sessionTitle,
        startsAt: new Date(start.getTime() + 300_000).toISOString(),
        endsAt: new Date(start.getTime() + 1800_000).toISOString(),
      },
    });
    assert.equal(session.status, 201, session.text);
    const id = uuidv7();
    await ctx.database.db
      .insertInto("webinars")
      .values({
        id,
        organization_id: org.id,
        configuration_id: configId,
        event_id: eventId,
        session_id: session.body.id,
        updated_at: new Date(),
      })
      .execute();
    return id;
  }
  const row = (id: string) =>
    ctx.database.db
      .selectFrom("webinars")
      .select(["state", "provider_webinar_id", "creating_since"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();

  // 1. The worker dies after the create, before the store; the job runs again.
  const before = await driver.webinarCount();
  const crashed = await webinarRow("crash after create");
  dieAfterCreate = true;
  await assert.rejects(handle({ webinarId: crashed }), WorkerDied);
  dieAfterCreate = false;
  assert.equal(await driver.webinarCount(), before + 1, "the first attempt created one webinar");
  // A real crash leaves the lease to lapse; here it lapses at once.
  await sql`UPDATE webinars SET lease_until = NULL WHERE id = ${crashed}`.execute(ctx.database.db);
  await handle({ webinarId: crashed });
  const adopted = await row(crashed);
  assert.equal(adopted.state, "provisioned");
  assert.ok(adopted.provider_webinar_id);
  assert.equal(adopted.creating_since, null);
  assert.equal(await driver.webinarCount(), before + 1, "the retry adopted it instead of creating a second");
  assert.ok(await driver.webinarExists(adopted.provider_webinar_id), "the stored id is the one created");

  // 2. Two jobs for one webinar at once.
  creates = 0;
  const twice = await webinarRow("two jobs at once");
  await Promise.all([handle({ webinarId: twice }), handle({ webinarId: twice })]);
  const one = await row(twice);
  assert.equal(one.state, "provisioned");
  assert.equal(creates, 1, "one create for two jobs");
  assert.equal(await driver.webinarCount(), before + 2, "two jobs made one webinar");
}
