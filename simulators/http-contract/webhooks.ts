// Signed webhook deliveries, written from the contract's text rather than imported from the
// adapter, so the conformance tests compare two independent readings of the document.
// Each delivery is retried a few times with back-off on anything but 2xx; its id is stable
// across retries so the receiver can drop repeats.
import { createHmac } from "node:crypto";
import type { ContractState } from "./state.ts";

export type EventType = "registration.created" | "registration.cancelled" | "attendance.updated";

export function sign(secret: string, t: number, rawBody: string): string {
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${rawBody}`).digest("hex")}`;
}

const RETRY_DELAYS_MS = [200, 500, 1000, 2000];

export function emit(state: ContractState, type: EventType, webinarId: string, data: unknown): void {
  const hook = state.webhook;
  if (!hook) return;
  const eventId = state.newId("evt");
  const body = JSON.stringify({ id: eventId, type, createdAt: new Date().toISOString(), webinarId, data });
  const delivery = { eventId, type, attempts: 0, status: null as number | null };
  state.deliveries.push(delivery);
  const attempt = async (): Promise<void> => {
    delivery.attempts += 1;
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "auditorium-signature": sign(hook.secret, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      delivery.status = res.status;
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      delivery.status = 0;
    }
    const delay = RETRY_DELAYS_MS[delivery.attempts - 1];
    if (delay !== undefined && state.webhook) setTimeout(() => void attempt(), delay).unref();
  };
  void attempt();
}
