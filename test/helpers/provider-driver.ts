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
  /**
   * The emails the provider would have sent registrants so far: confirmations, and reminders
   * due by the simulator's clock (one sender, never two). Providers that send none: absent.
   */
  sentEmails?(): Promise<{ to: string; kind: "confirmation" | "reminder" }[]>;
  /** Whether the provider's own confirmation email is on for the webinar. */
  confirmationEmailOn?(providerWebinarId: string): Promise<boolean>;
  /** Moves the simulator's clock forward (reminders fall due by it). */
  advanceClock?(ms: number): Promise<void>;
  /** What happens at the provider without us (reconciliation); absent: the scenario is skipped. */
  atProvider?: ProviderSideRegistrations;
  close(): Promise<void>;
}

export interface SimRegistrant {
  email: string;
  providerRegistrantId: string;
  status: "registered" | "cancelled";
  /** How many times a registrant with this email was created; more than 1 is a duplicate. */
  createdCount: number;
}

/**
 * People registering, cancelling and vanishing at the provider itself — on its own registration
 * page, through the link in its e-mail, or lost there — through each simulator's own path
 * (documented in its README), for the reconciliation scenario.
 */
export interface ProviderSideRegistrations {
  /** Registers someone at the provider; returns the provider's registrant id. */
  register(
    providerWebinarId: string,
    person: { email: string; firstName: string; lastName: string },
  ): Promise<string>;
  /** The registrant cancels at the provider. */
  cancel(providerWebinarId: string, providerRegistrantId: string): Promise<void>;
  /** The registrant vanishes at the provider without a cancellation (drift "ours missing there"). */
  remove(providerWebinarId: string, providerRegistrantId: string): Promise<void>;
  /** Registrants per page of the list the adapter reads; null when one answer holds them all. */
  pageSize: number | null;
  /** True when a cancel at the provider deletes the registrant (GoTo): a vanished one is a cancel. */
  cancelVanishes: boolean;
}
