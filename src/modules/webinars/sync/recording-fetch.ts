import type { Db } from "../../../db/database.ts";
import type { WebinarRecording } from "../../../providers/contract.ts";
import type { ProviderCaller } from "./provider-call.ts";

/**
 * Once a link is stored it is asked for again at most this often: providers replace a
 * recording (a re-run, an edited archive) rarely, and each ask spends the account's quota.
 */
export const RECORDING_REFRESH_MS = 6 * 3600_000;

/**
 * After the webinar's end, with its attendance poll: asks the provider for the recording or
 * on-demand link (WebinarProvider.recordingOf) and stores it with when it was fetched. While
 * the provider has none yet (Zoom processes recordings, ON24 opens the archive later) every
 * poll asks again; the poll runs for days after the end, so a late recording still arrives.
 * A provider without the capability is never asked. A failed ask changes nothing: the next
 * poll asks again.
 */
export async function fetchRecording(
  db: Db,
  call: ProviderCaller,
  webinar: {
    id: string;
    configuration_id: string;
    provider_webinar_id: string;
    ends_at: Date;
    recording_url: string | null;
    recording_fetched_at: Date | null;
  },
  now = new Date(),
): Promise<void> {
  if (now < webinar.ends_at) return;
  const fetched = webinar.recording_fetched_at?.getTime() ?? 0;
  if (webinar.recording_url && now.getTime() - fetched < RECORDING_REFRESH_MS) return;
  let asked = false;
  const outcome = await call<WebinarRecording | null>(webinar.configuration_id, async (provider, account) => {
    if (!provider.recordingOf) return null;
    asked = true;
    return provider.recordingOf(account, webinar.provider_webinar_id);
  });
  if (outcome.kind !== "ok" || !asked) return;
  const found = outcome.value;
  await db
    .updateTable("webinars")
    .set({
      recording_fetched_at: now,
      // A provider that stops listing a link it gave (archive closed) takes it away.
      recording_url: found?.url ?? null,
      recording_kind: found?.kind ?? null,
      recording_available_until: found?.availableUntil ?? null,
    })
    .where("id", "=", webinar.id)
    .execute();
}
