import { sql, type Transaction } from "kysely";
import type { Db } from "../../../db/database.ts";
import type { Database } from "../../../db/schema.ts";
import type { ReconciliationDetails, ReconciliationState } from "../../../db/schema-webinars.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import { normalizeEmail } from "../../../lib/email-address.ts";
import type {
  ListedRegistrant,
  ProviderKind,
  RegistrantListPage,
  WebhookEvent,
  WebinarProvider,
} from "../../../providers/contract.ts";
import type { WebhookApplier } from "../webhooks/apply.ts";
import type { PeopleMatcher, WebinarRef } from "./people.ts";
import { type ProviderCaller, type RetryBackoff, retryBackoff } from "./provider-call.ts";
import { linkedSynced, liveLinked, oursMissingThere, vanished } from "./reconcile-reads.ts";

type Trx = Transaction<Database>;

/** Registration ids kept per kind of drift in a run's details (the counts are always whole). */
export const RECONCILE_DETAIL_IDS = 100;
/** Provider events applied per transaction: each takes the webinar's row lock only briefly. */
const APPLY_CHUNK = 500;
/** A runaway cursor (a provider answering the same page forever) stops here. */
const MAX_PAGES = 5000;
/** Tries of one run through deferrals and transient failures before it is marked failed. */
const MAX_TRIES = 6;
/** A run waiting longer than this no longer holds back scheduled runs. */
const STUCK_HOURS = 6;
/** Runs kept per webinar; older ones are pruned when a run finishes. */
const RUNS_KEPT = 50;

/**
 * When webinars are reconciled on the schedule: each provisioned webinar whose provider lists
 * registrants, at most every `intervalMinutes`, from provisioning until `windowDays` after its
 * end (people still register for the on-demand recording).
 */
export interface ReconcilePlan {
  intervalMinutes: number;
  windowDays: number;
  sweepSeconds: number;
}
export const DEFAULT_RECONCILE_PLAN: ReconcilePlan = {
  intervalMinutes: 60,
  windowDays: 7,
  sweepSeconds: 300,
};

/**
 * Queues a run of one webinar in the caller's transaction (the run row and its job); returns
 * the run as queued. Read back after the commit it could already be running: a worker may
 * take the job at once.
 */
export async function requestReconciliation(
  queue: Pick<JobQueue, "send">,
  executor: Db | Trx,
  webinar: { id: string; organization_id: string },
  trigger: "schedule" | "api",
  id: string,
) {
  const run = await executor
    .insertInto("webinar_reconciliations")
    .values({ id, organization_id: webinar.organization_id, webinar_id: webinar.id, trigger })
    .returningAll()
    .executeTakeFirstOrThrow();
  await queue.send(executor, "webinar.reconcile", { runId: id });
  return run;
}

/** The drift of one run, as stored and as the API shows it. */
export interface Drift {
  providerRegistered: number;
  providerCancelled: number;
  theirsMissingHere: number;
  addedHere: number;
  cancelledHere: number;
  oursMissingThere: number;
  oursMissingThereSynced: number;
  details: ReconciliationDetails;
}

interface WebinarForReconcile extends WebinarRef {
  provider_webinar_id: string | null;
  state: string;
  desired: string;
  provider: string;
}

/**
 * Reconciliation (docs/webinars.md, "Reconciliation"): pulls a webinar's whole registrant list
 * from its provider and brings back what happened there. People registered at the provider
 * whom we do not have are matched to contacts by the organization's rule and added with source
 * "provider", their sync row linked to the provider's registrant (state synced), so the sync
 * never sends them back. Cancellations made there cancel here. Both are applied by the same
 * code as provider webhooks (webhooks/apply.ts), so a delivery and a run agree. The drift found
 * both ways is stored per run.
 */
export function createReconciler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  providers: Record<ProviderKind, WebinarProvider>;
  people: PeopleMatcher;
  apply: WebhookApplier;
  plan?: Partial<ReconcilePlan>;
  backoff?: RetryBackoff;
}) {
  const { db, queue, call, providers, people, apply } = deps;
  const backoff = deps.backoff ?? retryBackoff();
  const plan = { ...DEFAULT_RECONCILE_PLAN, ...deps.plan };

  async function finish(runId: string, state: ReconciliationState, reason: string | null, drift?: Drift) {
    await db
      .updateTable("webinar_reconciliations")
      .set({
        state,
        reason,
        finished_at: new Date(),
        ...(drift && {
          provider_registered: drift.providerRegistered,
          provider_cancelled: drift.providerCancelled,
          theirs_missing_here: drift.theirsMissingHere,
          added_here: drift.addedHere,
          cancelled_here: drift.cancelledHere,
          ours_missing_there: drift.oursMissingThere,
          ours_missing_there_synced: drift.oursMissingThereSynced,
          details: JSON.stringify(drift.details),
        }),
      })
      .where("id", "=", runId)
      .execute();
  }

  async function prune(webinarId: string) {
    await sql`DELETE FROM webinar_reconciliations WHERE webinar_id = ${webinarId} AND id NOT IN (
      SELECT id FROM webinar_reconciliations WHERE webinar_id = ${webinarId}
      ORDER BY requested_at DESC LIMIT ${RUNS_KEPT})`.execute(db);
  }

  /** The whole list, every page; or why not now. */
  async function listAll(webinar: WebinarForReconcile, provider: WebinarProvider) {
    const list = provider.listRegistrants?.bind(provider);
    if (!list) throw new Error("listRegistrants missing");
    const providerKey = webinar.provider_webinar_id as string;
    const listed: ListedRegistrant[] = [];
    let cursor: string | null = null;
    for (let pages = 0; ; pages++) {
      if (pages >= MAX_PAGES) return { kind: "failed" as const, reason: "The provider did not stop paging" };
      const outcome = await call<RegistrantListPage>(webinar.configuration_id, (_p, account) =>
        list(account, providerKey, cursor),
      );
      if (outcome.kind !== "ok") return outcome;
      listed.push(...outcome.value.registrants);
      cursor = outcome.value.nextCursor;
      if (cursor === null) return { kind: "ok" as const, listed };
    }
  }

  async function applyInChunks(configurationId: string, webinarId: string, events: WebhookEvent[]) {
    for (let i = 0; i < events.length; i += APPLY_CHUNK) {
      const chunk = events.slice(i, i + APPLY_CHUNK);
      await db.transaction().execute(async (trx) => {
        // One run at a time per webinar: two would both add the same unknown person.
        await trx.selectFrom("webinars").select("id").where("id", "=", webinarId).forUpdate().execute();
        await apply(trx, configurationId, chunk);
      });
    }
  }

  async function reconcile(webinar: WebinarForReconcile, listed: ListedRegistrant[], listedAt: Date) {
    const provider = providers[webinar.provider as ProviderKind];
    const providerWebinarId = webinar.provider_webinar_id as string;
    // One entry per provider registrant; a person listed as both registered and cancelled
    // (cancelled, then registered anew under a new id) holds a place.
    const byId = new Map(listed.map((r) => [r.providerRegistrantId, r]));
    const active = [...byId.values()].filter((r) => r.status === "registered");
    const activeEmails = new Set(active.map((r) => normalizeEmail(r.email)));
    const cancelledThere = [...byId.values()].filter(
      (r) => r.status === "cancelled" && !activeEmails.has(normalizeEmail(r.email)),
    );
    const gone = provider.cancelledRegistrantsVanish
      ? await vanished(db, webinar.id, new Set(byId.keys()), listedAt)
      : [];
    const cancelIds = [...cancelledThere.map((r) => r.providerRegistrantId), ...gone];

    const known = await db.transaction().execute((trx) => people.match(trx, webinar, active));
    const unknown = active.filter((_r, i) => !known[i]);
    const toCancel = await liveLinked(db, webinar.id, cancelIds);
    // Already linked and synced: nothing to write (a big webinar is reconciled every hour).
    const settled = new Set(
      await linkedSynced(
        db,
        webinar.id,
        active.map((r) => r.providerRegistrantId),
      ),
    );

    // Those registered there first (linking, adding), then the cancellations, matched by the
    // provider's id only: an address alone never cancels anyone here.
    const events: WebhookEvent[] = [
      ...active
        .filter((r) => !settled.has(r.providerRegistrantId))
        .map(
          (r): WebhookEvent => ({
            type: "registrant.upserted",
            providerWebinarId,
            registrant: r,
          }),
        ),
      ...cancelIds.map(
        (id): WebhookEvent => ({
          type: "registrant.cancelled",
          providerWebinarId,
          providerRegistrantId: id,
          email: null,
        }),
      ),
    ];
    await applyInChunks(webinar.configuration_id, webinar.id, events);

    const added = await db.transaction().execute((trx) => people.match(trx, webinar, unknown));
    const addedIds = added.filter((id): id is string => Boolean(id));
    const cancelledNow =
      toCancel.length === 0
        ? []
        : await db
            .selectFrom("registrations")
            .select("id")
            .where("id", "in", toCancel)
            .where("status", "=", "cancelled")
            .execute();
    const missing = await oursMissingThere(
      db,
      webinar.id,
      active.map((r) => r.providerRegistrantId),
      [...activeEmails],
      listedAt,
    );
    return {
      providerRegistered: active.length,
      providerCancelled: byId.size - active.length,
      theirsMissingHere: unknown.length,
      addedHere: addedIds.length,
      cancelledHere: cancelledNow.length,
      oursMissingThere: missing.length,
      oursMissingThereSynced: missing.filter((m) => m.state === "synced").length,
      details: {
        oursMissingThere: missing.slice(0, RECONCILE_DETAIL_IDS).map((m) => m.registration_id),
        addedHere: addedIds.slice(0, RECONCILE_DETAIL_IDS),
        cancelledHere: cancelledNow.slice(0, RECONCILE_DETAIL_IDS).map((r) => r.id),
      },
    } satisfies Drift;
  }

  async function loadWebinar(webinarId: string): Promise<WebinarForReconcile | undefined> {
    return db
      .selectFrom("webinars as w")
      .innerJoin("webinar_configurations as c", "c.id", "w.configuration_id")
      .select([
        "w.id",
        "w.organization_id",
        "w.configuration_id",
        "w.event_id",
        "w.session_id",
        "w.provider_webinar_id",
        "w.state",
        "w.desired",
        "c.provider",
      ])
      .where("w.id", "=", webinarId)
      .executeTakeFirst();
  }

  /** Handles `webinar.reconcile`: one run, from its row (a scheduled or requested run). */
  async function handle({ runId, attempt = 0 }: { runId: string; attempt?: number }) {
    const run = await db
      .selectFrom("webinar_reconciliations")
      .select(["id", "webinar_id", "state"])
      .where("id", "=", runId)
      .executeTakeFirst();
    // Finished already (a repeated job), or pruned: nothing to do.
    if (!run || !["queued", "running", "deferred"].includes(run.state)) return;
    const webinar = await loadWebinar(run.webinar_id);
    if (webinar?.desired !== "active" || webinar.state !== "provisioned" || !webinar.provider_webinar_id)
      return finish(runId, "skipped", "The webinar is not live at the provider");
    const provider = providers[webinar.provider as ProviderKind];
    if (!provider?.listRegistrants)
      return finish(runId, "unsupported", "This provider does not list registrants");
    await db
      .updateTable("webinar_reconciliations")
      .set({ state: "running", started_at: new Date(), reason: null })
      .where("id", "=", runId)
      .execute();
    const listedAt = new Date();
    const outcome = await listAll(webinar, provider);
    if (outcome.kind === "ok") {
      const drift = await reconcile(webinar, outcome.listed, listedAt);
      await finish(runId, "done", null, drift);
      await prune(webinar.id);
      return;
    }
    if ((outcome.kind === "deferred" || outcome.kind === "retry") && attempt + 1 < MAX_TRIES) {
      const after = outcome.kind === "deferred" ? Math.max(1, outcome.afterSeconds) : backoff(attempt + 1);
      await db
        .updateTable("webinar_reconciliations")
        .set({ state: "deferred", reason: outcome.reason })
        .where("id", "=", runId)
        .execute();
      await queue.send(
        db,
        "webinar.reconcile",
        { runId, attempt: attempt + 1 },
        { startAfterSeconds: after },
      );
      return;
    }
    await finish(runId, "failed", outcome.reason);
  }

  /**
   * The scheduled part: a run for every webinar that is due (see ReconcilePlan) and has no run
   * waiting. Returns how many were queued.
   */
  async function sweep(
    newId: () => string,
    options: { now?: Date; organizationId?: string; plan?: Partial<ReconcilePlan> } = {},
  ) {
    const now = options.now ?? new Date();
    const { intervalMinutes, windowDays } = { ...plan, ...options.plan };
    if (intervalMinutes === 0) return 0;
    const listing = (Object.keys(providers) as ProviderKind[]).filter((k) => providers[k].listRegistrants);
    if (listing.length === 0) return 0;
    const due = await db
      .selectFrom("webinars as w")
      .innerJoin("webinar_configurations as c", "c.id", "w.configuration_id")
      .innerJoin("events as e", "e.id", "w.event_id")
      .leftJoin("event_sessions as s", "s.id", "w.session_id")
      .select(["w.id", "w.organization_id"])
      .where("w.state", "=", "provisioned")
      .where("w.desired", "=", "active")
      .where("c.provider", "in", listing)
      .where(sql<boolean>`coalesce(s.ends_at, e.ends_at) + make_interval(days => ${windowDays}) > ${now}`)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("webinar_reconciliations as r")
              .select("r.id")
              .whereRef("r.webinar_id", "=", "w.id")
              .where((eb) =>
                eb.or([
                  // A run still waiting blocks the next, unless it is stuck (its worker died).
                  eb.and([
                    eb("r.state", "in", ["queued", "running", "deferred"]),
                    eb("r.requested_at", ">", new Date(now.getTime() - STUCK_HOURS * 3600_000)),
                  ]),
                  eb("r.requested_at", ">", new Date(now.getTime() - intervalMinutes * 60_000)),
                ]),
              ),
          ),
        ),
      )
      .$if(options.organizationId !== undefined, (q) =>
        q.where("w.organization_id", "=", options.organizationId as string),
      )
      .limit(1000)
      .execute();
    for (const w of due) {
      await db.transaction().execute((trx) => requestReconciliation(queue, trx, w, "schedule", newId()));
    }
    return due.length;
  }

  return { handle, sweep, plan };
}

export type Reconciler = ReturnType<typeof createReconciler>;
