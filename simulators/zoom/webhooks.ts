// Webhook delivery as Zoom does it: the endpoint is validated with `endpoint.url_validation`
// (it must answer {plainToken, encryptedToken}); events are POSTed as JSON signed with
// x-zm-signature = "v0=" + HMAC-SHA256(secret token, "v0:{timestamp}:{body}") and
// x-zm-request-timestamp in seconds. Deliveries are fire-and-forget; each one is recorded.
import { createHmac, randomBytes } from "node:crypto";
import type { ZoomSimState } from "./state.ts";

export interface Delivery {
  event: string;
  status: number | null;
  error?: string;
}

const hmac = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("hex");

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private pending = new Set<Promise<void>>();

  constructor(private readonly state: ZoomSimState) {}

  private async post(event: string, body: string): Promise<Response | null> {
    const hook = this.state.webhook;
    if (!hook) return null;
    const ts = String(Math.floor(this.state.now() / 1000));
    try {
      return await fetch(hook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-zm-request-timestamp": ts,
          "x-zm-signature": `v0=${hmac(hook.secretToken, `v0:${ts}:${body}`)}`,
        },
        body,
        signal: AbortSignal.timeout(3000),
      });
    } catch (err) {
      this.deliveries.push({ event, status: null, error: String((err as Error).message) });
      return null;
    }
  }

  /** The handshake Zoom runs when an endpoint is saved (and every 72 h): true when answered right. */
  async validate(): Promise<boolean> {
    const hook = this.state.webhook;
    if (!hook) return false;
    const plainToken = randomBytes(16).toString("base64url");
    const body = JSON.stringify({
      event: "endpoint.url_validation",
      event_ts: this.state.now(),
      payload: { plainToken },
    });
    const res = await this.post("endpoint.url_validation", body);
    if (!res) return false;
    const answer = (await res.json().catch(() => null)) as {
      plainToken?: string;
      encryptedToken?: string;
    } | null;
    const ok =
      res.status === 200 &&
      answer?.plainToken === plainToken &&
      answer.encryptedToken === hmac(hook.secretToken, plainToken);
    this.deliveries.push({ event: "endpoint.url_validation", status: res.status });
    return ok;
  }

  /** Sends one event (`payload` without account_id, which is added). */
  send(event: string, accountId: string, object: unknown): void {
    if (!this.state.webhook) return;
    const body = JSON.stringify({
      event,
      event_ts: this.state.now(),
      payload: { account_id: accountId, object },
    });
    const p = this.post(event, body).then(async (res) => {
      if (res) {
        await res.arrayBuffer().catch(() => undefined);
        this.deliveries.push({ event, status: res.status });
      }
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when every delivery started so far has finished. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
