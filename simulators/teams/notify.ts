// Outbound calls of the simulator: the subscription validation handshake and change-notification
// deliveries (concepts/webhooks.md). Graph waits up to 10 s for the handshake and expects the
// token echoed as text/plain; deliveries expect any 2xx within a few seconds and are retried.
import { randomBytes } from "node:crypto";

const HANDSHAKE_TIMEOUT_MS = 10_000;
const DELIVERY_TIMEOUT_MS = 3_000;
/** Graph retries failed deliveries (for hours, with back-off); here: 3 tries, short pauses. */
const DELIVERY_TRIES = 3;

/** True when `url` echoed the validation token with 200. */
export async function handshake(url: string): Promise<boolean> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomBytes(8).toString("hex")}`;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  target.searchParams.set("validationToken", token);
  try {
    const res = await fetch(target, {
      method: "POST",
      headers: { "content-type": "text/plain; charset=utf-8" },
      signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS),
    });
    const text = await res.text();
    return res.status === 200 && text === token;
  } catch {
    return false;
  }
}

export async function deliver(url: string, body: unknown): Promise<number | "error"> {
  let last: number | "error" = "error";
  for (let attempt = 0; attempt < DELIVERY_TRIES; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * attempt));
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      last = res.status;
      if (res.status >= 200 && res.status < 300) return last;
      // A 4xx other than throttling means "not yours": Graph does not retry those.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return last;
    } catch {
      last = "error";
    }
  }
  return last;
}
