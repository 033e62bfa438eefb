import type { Db } from "../../../db/database.ts";
import type { JobQueue } from "../../../jobs/queue.ts";
import type { ProvisionedWebinar, WebinarSpec } from "../../../providers/contract.ts";
import type { ProviderCaller } from "./provider-call.ts";
import { backoffSeconds } from "./registration-sync.ts";

/**
 * Brings the provider-side webinar in line with its event or session: provision, push
 * changes (title, times, reschedules), or delete when cancelled. After provisioning, the
 * registrations that were waiting are enqueued and metrics polling is scheduled.
 */
export function createWebinarSyncHandler(deps: {
  db: Db;
  queue: JobQueue;
  call: ProviderCaller;
  maxAttempts: number;
  onProvisioned: (webinarId: string) => Promise<void>;
}) {
  const { db, queue, call } = deps;

  async function loadSpec(webinarId: string) {
    const row = await db
      .selectFrom("webinars as w")
      .innerJoin("events as e", "e.id", "w.event_id")
      .leftJoin("event_sessions as s", "s.id", "w.session_id")
      // One sender, never two: the event's choice, else the account's (docs/email.md).
      .leftJoin("event_registrant_settings as ers", "ers.event_id", "w.event_id")
      .leftJoin("webinar_configurations as wc", "wc.id", "w.configuration_id")
      .select([
        "ers.registrant_emails as event_sender",
        "wc.registrant_emails as account_sender",
        "w.id",
        "w.configuration_id",
        "w.provider_webinar_id",
        "w.state",
        "w.desired",
        "w.version",
        "w.synced_version",
        "w.attempts",
        "e.title as event_title",
        "e.description as event_description",
        "e.starts_at as event_starts_at",
        "e.ends_at as event_ends_at",
        "e.time_zone",
        "e.language",
        "e.webinar_type as event_webinar_type",
        "s.title as session_title",
        "s.description as session_description",
        "s.starts_at as session_starts_at",
        "s.ends_at as session_ends_at",
        "s.webinar_type as session_webinar_type",
      ])
      .where("w.id", "=", webinarId)
      .executeTakeFirst();
    if (!row) return null;
    const spec: WebinarSpec = {
      title: row.session_title ? `${row.event_title}: ${row.session_title}` : row.event_title,
      description: row.session_description ?? row.event_description,
      startsAt: row.session_starts_at ?? row.event_starts_at,
      endsAt: row.session_ends_at ?? row.event_ends_at,
      timeZone: row.time_zone,
      language: row.language,
      webinarType: row.session_webinar_type ?? row.event_webinar_type ?? undefined,
      // Stable across retries, so a provider that dedupes creation never makes a second webinar.
      externalRef: webinarId,
    };
    const sender = row.event_sender ?? row.account_sender;
    if (sender) spec.providerSendsRegistrantEmails = sender === "provider";
    return { row, spec };
  }

  async function update(webinarId: string, set: Record<string, unknown>) {
    await db
      .updateTable("webinars")
      .set({ ...set, updated_at: new Date() })
      .where("id", "=", webinarId)
      .execute();
  }

  return async function handle({ webinarId }: { webinarId: string }) {
    const loaded = await loadSpec(webinarId);
    if (!loaded) return;
    const { row, spec } = loaded;
    const version = row.version;
    const provisioned = row.provider_webinar_id !== null && row.state !== "deleted";

    type Action = "create" | "update" | "delete" | "none";
    const action: Action =
      row.desired === "deleted"
        ? provisioned
          ? "delete"
          : "none"
        : !provisioned
          ? "create"
          : row.synced_version < version
            ? "update"
            : "none";
    if (action === "none") {
      if (row.desired === "deleted" && row.state !== "deleted")
        await update(webinarId, { state: "deleted", last_error: null });
      return;
    }

    const attempt = row.attempts + 1;
    const outcome = await call<ProvisionedWebinar | null>(row.configuration_id, async (provider, account) => {
      await update(webinarId, { attempts: attempt });
      const key = row.provider_webinar_id as string;
      if (action === "create") return provider.createWebinar(account, spec);
      if (action === "update") await provider.updateWebinar(account, key, spec);
      else await provider.deleteWebinar(account, key);
      return null;
    });

    switch (outcome.kind) {
      case "ok":
        if (action === "create" && outcome.value) {
          await update(webinarId, {
            provider_webinar_id: outcome.value.providerWebinarId,
            join_url: outcome.value.joinUrl,
            state: "provisioned",
            synced_version: version,
            attempts: 0,
            last_error: null,
          });
          await deps.onProvisioned(webinarId);
          // Changes made while the create was in flight still need pushing.
          const fresh = await db
            .selectFrom("webinars")
            .select(["version", "desired"])
            .where("id", "=", webinarId)
            .executeTakeFirst();
          if (fresh && (fresh.version !== version || fresh.desired !== "active"))
            await queue.send(db, "webinar.sync", { webinarId });
        } else if (action === "update") {
          await update(webinarId, { synced_version: version, attempts: 0, last_error: null });
        } else {
          await update(webinarId, {
            state: "deleted",
            provider_webinar_id: null,
            attempts: 0,
            last_error: null,
          });
        }
        return;
      case "held":
        await update(webinarId, { state: "held", last_error: outcome.reason, attempts: row.attempts });
        return;
      case "deferred":
        await update(webinarId, { last_error: outcome.reason, attempts: row.attempts });
        await queue.send(db, "webinar.sync", { webinarId }, { startAfterSeconds: outcome.afterSeconds });
        return;
      case "retry":
        if (attempt >= deps.maxAttempts) {
          await update(webinarId, {
            state: "failed",
            last_error: `${outcome.reason} (after ${attempt} attempts)`,
          });
          return;
        }
        await update(webinarId, { last_error: outcome.reason });
        await queue.send(db, "webinar.sync", { webinarId }, { startAfterSeconds: backoffSeconds(attempt) });
        return;
      case "failed":
        await update(webinarId, { state: "failed", last_error: outcome.reason });
        return;
    }
  };
}
