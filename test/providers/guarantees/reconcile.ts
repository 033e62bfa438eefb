import assert from "node:assert/strict";
import { uuidv7 } from "../../../src/lib/ids.ts";
import type { TestContext, TestOrg } from "../../helpers/harness.ts";
import type { ProviderSideRegistrations, ProviderSimDriver } from "../../helpers/provider-driver.ts";
import { registerMany, waitSynced, waitUntil } from "../../webinars/fixtures.ts";
import { providerSetup, provisioned, quiesce, registrationsOf } from "./setup.ts";

/** A run as GET /api/v1/webinars/{id}/reconciliations shows it. */
export interface ReconciliationView {
  id: string;
  trigger: string;
  state: string;
  reason: string | null;
  provider: { registered: number; cancelled: number };
  drift: {
    theirsMissingHere: number;
    addedHere: number;
    cancelledHere: number;
    oursMissingThere: number;
    oursMissingThereSynced: number;
    oursMissingThereIds: string[];
  };
}

/** What one provider's reconciliation scenario measured (the suite prints it as the drift report). */
export interface DriftReport {
  atProvider: number;
  runs: Pick<ReconciliationView, "trigger" | "provider" | "drift">[];
}

async function runs(ctx: TestContext, org: TestOrg, webinarId: string): Promise<ReconciliationView[]> {
  const res = await ctx.request("GET", `/api/v1/webinars/${webinarId}/reconciliations`, {
    token: org.tokens.viewer,
  });
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}

async function finished(ctx: TestContext, org: TestOrg, webinarId: string, runId: string) {
  const run = await waitUntil("reconciliation run finished", async () => {
    const r = (await runs(ctx, org, webinarId)).find((x) => x.id === runId);
    return r && !["queued", "running", "deferred"].includes(r.state) ? r : null;
  });
  assert.equal(run.state, "done", `run ${runId}: ${run.state} ${run.reason}`);
  return run;
}

async function reconcileNow(ctx: TestContext, org: TestOrg, webinarId: string) {
  const res = await ctx.request("POST", `/api/v1/webinars/${webinarId}/reconcile`, {
    token: org.tokens.marketer,
  });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.body.state, "queued");
  assert.equal(res.body.trigger, "api");
  return finished(ctx, org, webinarId, res.body.id);
}

/**
 * Reconciliation: people who register at the provider itself (more than one page of its list)
 * appear here with source "provider", exactly once across runs, and are never sent back;
 * cancellations made there come back; drift is counted both ways; the schedule queues runs.
 */
export async function reconciliationScenario(
  ctx: TestContext,
  org: TestOrg,
  driver: ProviderSimDriver & { atProvider: ProviderSideRegistrations },
): Promise<DriftReport> {
  const at = driver.atProvider;
  const { eventId } = await providerSetup(ctx, org, driver, "reconciliation");
  const ours = await registerMany(ctx, org, eventId, 3, `rc-ours-${driver.kind}-`);
  await waitSynced(ctx, eventId, 3, "our registrations synced");
  const webinar = await provisioned(ctx, org, eventId);
  const pid = webinar.providerWebinarId;

  // More people than one page of the provider's list register on its own page.
  const count = (at.pageSize ?? 4) + 2;
  const theirs = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const email = `rc-theirs-${driver.kind}-${i}@example.com`;
    theirs.set(email, await at.register(pid, { email, firstName: `Their${i}`, lastName: "Registrant" }));
  }
  // One of ours vanishes at the provider (lost there; at GoTo that is what a cancel looks like).
  const before = await registrationsOf(ctx, org, eventId);
  const ourEmails = new Map(ours.map((id) => [id, before.find((r) => r.id === id)?.contact.email as string]));
  const atProvider = await driver.registrants(pid);
  const idAtProvider = (email: string) =>
    atProvider.find((r) => r.email.toLowerCase() === email.toLowerCase())?.providerRegistrantId as string;
  const [lostId, cancelledOurId] = ours as [string, string, string];
  await at.remove(pid, idAtProvider(ourEmails.get(lostId) as string));

  const first = await reconcileNow(ctx, org, webinar.id);
  assert.equal(first.drift.theirsMissingHere, count, "theirs missing here");
  assert.equal(first.drift.addedHere, count, "added here");
  assert.equal(first.provider.registered, count + 2);
  if (at.cancelVanishes) {
    assert.equal(first.drift.cancelledHere, 1, "the vanished registrant is a cancel at GoTo");
    assert.equal(first.drift.oursMissingThere, 0);
  } else {
    assert.equal(first.drift.cancelledHere, 0);
    assert.equal(first.drift.oursMissingThere, 1, "ours missing there");
    assert.equal(first.drift.oursMissingThereSynced, 1);
    assert.deepEqual(first.drift.oursMissingThereIds, [lostId]);
  }

  // At the provider: one of theirs cancels, and so does one of ours.
  const [cancelledTheirs] = [...theirs.keys()];
  await at.cancel(pid, theirs.get(cancelledTheirs as string) as string);
  await at.cancel(pid, idAtProvider(ourEmails.get(cancelledOurId) as string));
  const second = await reconcileNow(ctx, org, webinar.id);
  assert.equal(second.drift.theirsMissingHere, 0, "nobody new the second time");
  assert.equal(second.drift.addedHere, 0);
  assert.equal(second.drift.cancelledHere, 2, "both cancels came back");
  assert.equal(second.drift.oursMissingThere, at.cancelVanishes ? 0 : 1);

  // Here: each of theirs exactly once, source "provider"; the cancels are cancellations.
  await quiesce(ctx, org);
  const regs = await registrationsOf(ctx, org, eventId);
  for (const email of theirs.keys()) {
    const mine = regs.filter((r) => r.contact.email.toLowerCase() === email);
    assert.equal(mine.length, 1, `${email} appears ${mine.length} times`);
    const reg = mine[0] as (typeof regs)[number] & { source: string };
    assert.equal(reg.source, "provider", email);
    assert.equal(reg.status, email === cancelledTheirs ? "cancelled" : "registered", email);
  }
  assert.equal(regs.find((r) => r.id === cancelledOurId)?.status, "cancelled");
  assert.equal(regs.find((r) => r.id === lostId)?.status, at.cancelVanishes ? "cancelled" : "registered");

  // At the provider: nobody was sent back (each of theirs created once, never twice).
  const after = await driver.registrants(pid);
  for (const [email] of theirs) {
    const there = after.filter((r) => r.email.toLowerCase() === email);
    assert.equal(there.length, 1, `${email} is at the provider ${there.length} times`);
    assert.ok((there[0]?.createdCount ?? 0) <= 1, `${email} was created again at the provider`);
  }

  // The schedule: a due webinar gets a run of its own (trigger "schedule"), which changes nothing.
  const queued = await ctx.services.syncWorker.reconciler.sweep(uuidv7, {
    organizationId: org.id,
    now: new Date(Date.now() + 61 * 60_000),
    plan: { intervalMinutes: 60 },
  });
  assert.ok(queued >= 1, "the sweep queued this webinar");
  const scheduled = (await runs(ctx, org, webinar.id)).find((r) => r.trigger === "schedule");
  assert.ok(scheduled, "a scheduled run is listed");
  const third = await finished(ctx, org, webinar.id, scheduled.id);
  assert.equal(third.drift.addedHere, 0);
  assert.equal(third.drift.cancelledHere, 0);
  return {
    atProvider: count,
    runs: [first, second, third].map((r) => ({ trigger: r.trigger, provider: r.provider, drift: r.drift })),
  };
}

/** The drift report of one provider's run, one line per reconciliation (printed by the suite). */
export function driftReportLine(kind: string, backend: string, report: DriftReport): string {
  const runLines = report.runs.map(
    (r, i) =>
      `  run ${i + 1} (${r.trigger}): provider lists ${r.provider.registered} registered, ${r.provider.cancelled} cancelled; ` +
      `theirs missing here ${r.drift.theirsMissingHere} (added ${r.drift.addedHere}); ` +
      `ours missing there ${r.drift.oursMissingThere} (of them synced before ${r.drift.oursMissingThereSynced}); ` +
      `cancelled here ${r.drift.cancelledHere}\n`,
  );
  return `reconciliation ${kind} [${backend}]: ${report.atProvider} registered at the provider\n${runLines.join("")}`;
}
