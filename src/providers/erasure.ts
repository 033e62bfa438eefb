/**
 * Erasure at providers that forget a registrant per webinar (Zoom, GoTo, Teams): one step per
 * webinar that received the person, and what each provider keeps whatever we ask. Vendor facts
 * in docs/providers/<kind>.md; the admin reads `retained` on the erasure's status
 * (docs/privacy.md).
 */
import type { ErasureResult, ErasureTarget } from "./contract.ts";
import { ProviderError } from "./contract.ts";

/**
 * Forgets the person in every target webinar. Gone already (`not_found`) is success. A refusal
 * for good in one webinar (`invalid`, `forbidden`: the provider will not delete there) is
 * counted and the rest go on; anything else throws, and the engine retries the whole call —
 * each step is idempotent, because what was deleted answers `not_found` the next time.
 */
export async function forgetInEachWebinar(
  targets: readonly ErasureTarget[],
  forget: (target: ErasureTarget) => Promise<void>,
): Promise<{ refused: number; reason: string | null }> {
  let refused = 0;
  let reason: string | null = null;
  for (const target of targets) {
    try {
      await forget(target);
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.kind === "not_found") continue;
      if (err.kind !== "invalid" && err.kind !== "forbidden") throw err;
      refused++;
      reason ??= err.message;
    }
  }
  return { refused, reason };
}

/** What each provider keeps after an erasure, whatever we ask (no API deletes it). */
export const RETAINED_BY_PROVIDER = {
  zoom: "Zoom keeps its reports of past webinars (participants, polls, Q&A), which name the person if they attended; Zoom's API has no call to remove a person from them.",
  goto: "GoTo keeps the attendee reports of past sessions, which name the person if they attended; GoTo's API has no call to remove a person from them.",
  teams:
    "Microsoft Graph has no call to delete a webinar registration: it stays in each webinar as cancelled (name, email, times), and the attendance reports of past sessions name the person if they attended.",
} as const;

/** The erasure result: the provider's standing note, and webinars where it refused to delete. */
export function erasureResult(
  standing: string,
  refused: { refused: number; reason: string | null },
  what: string,
): ErasureResult {
  const retained: string[] = [];
  if (refused.refused > 0)
    retained.push(`${what} stays in ${refused.refused} webinar(s): the provider refused (${refused.reason})`);
  retained.push(standing);
  return { retained };
}
