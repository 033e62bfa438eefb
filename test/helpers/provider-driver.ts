import type { ProviderKind } from "../../src/providers/contract.ts";

/**
 * What the shared guarantee suite (test/providers/guarantees.test.ts) needs from a provider's
 * simulator, so one suite proves the same guarantees against every provider. Each provider
 * has one driver in test/providers/drivers/<kind>.ts exporting `start(): Promise<ProviderSimDriver>`.
 * Everything here talks to the simulator's own control API (/_sim…), never to our code.
 */
export interface ProviderSimDriver {
  kind: ProviderKind;
  /** Environment that points Auditorium (in-process runtime or a worker process) at the simulator. */
  env: Record<string, string>;
  /** Body fields for POST /api/v1/webinar-configurations (besides name/provider). */
  configuration: { settings: Record<string, string>; credentials: Record<string, string> };
  /** A webinar type id from the provider's list, or null when the provider has no types. */
  webinarType: string | null;
  /**
   * Fault rate (0..1) for the provider's write calls: part before the write commits (the
   * request fails, nothing stored) and part after it (stored, but the answer is an error or a
   * reset), so retries must not duplicate. 0 turns faults off.
   */
  setFaultRate(rate: number): Promise<void>;
  /** Every registrant the simulator holds for a webinar, with how many times each email was created. */
  registrants(providerWebinarId: string): Promise<SimRegistrant[]>;
  /** Webinars the simulator holds that are not deleted or cancelled (for "created exactly once"). */
  webinarCount(): Promise<number>;
  /** Whether the simulator still holds the webinar (false after deletion/cancellation). */
  webinarExists(providerWebinarId: string): Promise<boolean>;
  /**
   * Runs the webinar: the given registrants attend live for the given minutes, and the
   * simulator publishes the attendance. Returns minutes per email as the simulator recorded them.
   */
  runWebinar(
    providerWebinarId: string,
    attendees: { email: string; minutes: number }[],
  ): Promise<Map<string, number>>;
  /**
   * What the simulator holds of a person in a webinar, as the provider's API would show it:
   * "gone" (no registrant, or — ON24 — one whose personal fields were forgotten), a
   * "cancelled" registration the provider keeps, or "registered".
   */
  personAt(providerWebinarId: string, email: string): Promise<"gone" | "cancelled" | "registered">;
  /** What an erasure leaves at this provider: "gone", or "cancelled" where the API cannot delete (Graph). */
  erasureLeaves: "gone" | "cancelled";
  /** Every write the provider's API receives fails with a 5xx before it is applied (true), or none (false). */
  setOutage(down: boolean): Promise<void>;
  /** Number of requests the simulator has received so far (for "no call after switch-off"). */
  requestCount(): Promise<number>;
  close(): Promise<void>;
}

export interface SimRegistrant {
  email: string;
  providerRegistrantId: string;
  status: "registered" | "cancelled";
  /** How many times a registrant with this email was created; more than 1 is a duplicate. */
  createdCount: number;
}
