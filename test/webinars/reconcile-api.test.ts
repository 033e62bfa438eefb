import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Db } from "../../src/db/database.ts";
import type { JobQueue } from "../../src/jobs/queue.ts";
import { createReconciliationService } from "../../src/modules/webinars/reconciliations.service.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";
import { type Simulator, startSimulator, waitUntil, webinarSetup } from "./fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

/** Registers someone on ON24's own registration page (the simulator's path, simulators/on24/README.md). */
async function registerAtOn24(eventId: string, person: Record<string, string>) {
  const res = await fetch(`${sim.url}/_sim/events/${eventId}/self-registrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(person),
  });
  assert.ok(res.ok, await res.text());
}

forEachBackend("webinar reconciliation API", (ctx) => {
  let org: TestOrg;
  let other: TestOrg;
  let eventId: string;
  let webinarId: string;
  const reconcile = (id: string, token = org.tokens.marketer) =>
    ctx.request("POST", `/api/v1/webinars/${id}/reconcile`, { token });
  const runs = async (id: string) => {
    const res = await ctx.request("GET", `/api/v1/webinars/${id}/reconciliations`, {
      token: org.tokens.viewer,
    });
    assert.equal(res.status, 200, res.text);
    return res.body.data as {
      id: string;
      state: string;
      reason: string | null;
      drift: Record<string, number>;
    }[];
  };
  const storedRuns = async () =>
    (await ctx.database.db.selectFrom("webinar_reconciliations").select("id").execute()).length;
  const finished = (runId: string) =>
    waitUntil("run finished", async () => {
      const r = (await runs(webinarId)).find((x) => x.id === runId);
      return r && !["queued", "running", "deferred"].includes(r.state) ? r : null;
    });

  before(async () => {
    org = await ctx.createOrg("reconcile-api");
    other = await ctx.createOrg("reconcile-api-other");
    ({ eventId } = await webinarSetup(ctx, org));
    const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, { token: org.tokens.viewer });
    webinarId = res.body.data[0].id;
  });

  test("refused before the webinar is at the provider, for a viewer, another organization and a bad id; nothing stored", async () => {
    // No worker has run yet: the webinar is still pending.
    const early = await reconcile(webinarId);
    assert.equal(early.status, 409, early.text);
    assert.equal(early.body.error.code, "webinar_not_provisioned");
    const viewer = await reconcile(webinarId, org.tokens.viewer);
    assert.equal(viewer.status, 403, viewer.text);
    const foreign = await reconcile(webinarId, other.tokens.marketer);
    assert.equal(foreign.status, 404, foreign.text);
    const foreignList = await ctx.request("GET", `/api/v1/webinars/${webinarId}/reconciliations`, {
      token: other.tokens.viewer,
    });
    assert.equal(foreignList.status, 404);
    const bad = await reconcile("not-a-uuid");
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.field, "id");
    assert.equal(await storedRuns(), 0);
    assert.deepEqual(await runs(webinarId), []);
  });

  test("people registered at ON24 are matched by the organization's rule (name): an existing contact is reused", async () => {
    await ctx.services.syncWorker.start();
    const provisioned = await waitUntil("webinar provisioned", async () => {
      const res = await ctx.request("GET", `/api/v1/events/${eventId}/webinars`, {
        token: org.tokens.viewer,
      });
      return res.body.data[0].state === "provisioned" ? res.body.data[0] : null;
    });
    const rule = await ctx.request("PATCH", "/api/v1/organization", {
      token: org.tokens.admin,
      body: { contactMatching: "name" },
    });
    assert.equal(rule.status, 200, rule.text);
    const contact = await ctx.request("POST", "/api/v1/contacts", {
      token: org.tokens.marketer,
      body: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" },
    });
    assert.equal(contact.status, 201, contact.text);
    // The same name with another address, and someone new.
    await registerAtOn24(provisioned.providerWebinarId, {
      email: "ada.lovelace@example.org",
      firstName: "ada",
      lastName: "LOVELACE",
    });
    await registerAtOn24(provisioned.providerWebinarId, {
      email: "grace@example.org",
      firstName: "Grace",
      lastName: "Hopper",
    });

    const res = await reconcile(webinarId);
    assert.equal(res.status, 202, res.text);
    const run = await finished(res.body.id);
    assert.equal(run.state, "done", run.reason ?? "");
    assert.equal(run.drift.theirsMissingHere, 2);
    assert.equal(run.drift.addedHere, 2);
    const regs = await ctx.request("GET", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.viewer,
    });
    const ada = regs.body.data.find((r: { contact: { id: string } }) => r.contact.id === contact.body.id);
    assert.ok(ada, "Ada's existing contact holds the provider's registration");
    assert.equal(ada.source, "provider");
    const contacts = await ctx.request("GET", "/api/v1/contacts?limit=100", { token: org.tokens.viewer });
    const emails = contacts.body.data.map((c: { email: string }) => c.email).sort();
    assert.deepEqual(emails, ["ada@example.com", "grace@example.org"], "no second Ada");
  });

  test("the answer is the run as queued, even when a worker takes its job as soon as it is committed", async () => {
    // Seen in CI: the run was read back after the commit, and a worker had already set it
    // running, so the 202 said "running". Here the job's sending sets the run running in the
    // same transaction, which is what a read after the commit would see.
    const takenAtOnce = {
      async send(executor: Db, _name: string, data: { runId: string }) {
        await executor
          .updateTable("webinar_reconciliations")
          .set({ state: "running" })
          .where("id", "=", data.runId)
          .execute();
      },
    } as unknown as JobQueue;
    const service = createReconciliationService({ db: ctx.database.db, queue: takenAtOnce });
    const run = await service.requestNow(org.id, webinarId);
    try {
      assert.equal(run.state, "queued");
      assert.equal(run.trigger, "api");
    } finally {
      await ctx.database.db.deleteFrom("webinar_reconciliations").where("id", "=", run.id).execute();
    }
  });

  test("a run whose provider account is switched off fails with the reason, and changes nothing", async () => {
    const configs = await ctx.request("GET", "/api/v1/webinar-configurations", { token: org.tokens.admin });
    const configId = configs.body.data[0].id;
    const removed = await ctx.request("DELETE", `/api/v1/webinar-configurations/${configId}/credentials`, {
      token: org.tokens.admin,
    });
    assert.equal(removed.status, 200, removed.text);
    const before = await ctx.request("GET", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.viewer,
    });
    const res = await reconcile(webinarId);
    assert.equal(res.status, 202, res.text);
    const run = await finished(res.body.id);
    assert.equal(run.state, "failed");
    assert.match(run.reason ?? "", /Credentials removed/);
    assert.equal(run.drift.addedHere, null);
    const after = await ctx.request("GET", `/api/v1/events/${eventId}/registrations`, {
      token: org.tokens.viewer,
    });
    assert.equal(after.body.data.length, before.body.data.length);
  });
});
