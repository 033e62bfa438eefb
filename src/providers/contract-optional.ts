/**
 * The optional capabilities of the provider contract (contract.ts): what a webinar service may
 * offer beyond the required core, and the types only these capabilities use. `WebinarProvider`
 * extends `OptionalCapabilities`; contract.ts re-exports every type here.
 */
import type { ProviderAccount, ProviderPerson, ProviderRegistrant, RegistrantSpec } from "./contract.ts";

export interface OptionalCapabilities {
  findRegistrantByEmail?(
    account: ProviderAccount,
    providerWebinarId: string,
    email: string,
  ): Promise<ProviderRegistrant | null>;
  /**
   * Registers several people in one call (Zoom: up to 30). Returns one registrant per person
   * the provider accepted, matched to people by email; a person missing from the answer is
   * registered one by one later.
   */
  bulkRegister?(
    account: ProviderAccount,
    providerWebinarId: string,
    people: RegistrantSpec[],
  ): Promise<ProviderRegistrant[]>;
  /** Largest batch `bulkRegister` takes. */
  readonly bulkRegisterMax?: number;
  /**
   * Asks the provider to forget a person. Account-wide providers (ON24's forget, the open
   * contract) go by the address; the others act on each webinar the person was sent to
   * (`targets`, captured when the erasure was made), looking the registrant up by address
   * where no id came back. Something already gone is success. Transient failures throw (the
   * engine retries the whole call, so each step must be idempotent). What the provider keeps
   * whatever we ask — reports, records its API cannot delete — comes back in `retained`.
   */
  erasePerson?(
    account: ProviderAccount,
    email: string,
    targets?: readonly ErasureTarget[],
  ): Promise<ErasureResult | undefined>;
  /**
   * The webinar's recording or on-demand link once the provider has one (after the end);
   * null while it has none yet. Asked by the attendance poll after the webinar's end.
   */
  recordingOf?(account: ProviderAccount, providerWebinarId: string): Promise<WebinarRecording | null>;
  /**
   * Every registrant of the webinar, page by page from `cursor` (null = the first page), in the
   * provider's own paging. Reconciliation reads it to bring back registrations made at the
   * provider and cancellations made there.
   */
  listRegistrants?(
    account: ProviderAccount,
    providerWebinarId: string,
    cursor: string | null,
  ): Promise<RegistrantListPage>;
  /**
   * True when the provider's cancellation deletes the registrant (GoTo): one we linked that is
   * no longer listed was cancelled there. Otherwise an unlisted registrant is drift, not a cancel.
   */
  readonly cancelledRegistrantsVanish?: boolean;
  webinarTypes?(): readonly WebinarType[];

  /**
   * Verifies and reads one webhook delivery. Never throws on bad input: a delivery that
   * fails verification is `rejected`; a handshake (Zoom `endpoint.url_validation`, Graph
   * `validationToken`) is answered with `respond`.
   */
  handleWebhook?(account: ProviderAccount, request: WebhookRequest, context: WebhookContext): WebhookOutcome;
  /** Creates a change-notification subscription for one webinar (Microsoft Graph: at most a day). */
  subscribe?(
    account: ProviderAccount,
    providerWebinarId: string,
    notificationUrl: string,
    clientState: string,
  ): Promise<{ subscriptionId: string; expiresAt: Date }>;
  renewSubscription?(account: ProviderAccount, subscriptionId: string): Promise<{ expiresAt: Date }>;
}

/**
 * Where people watch a webinar after it ended, as the provider gives it: an on-demand page
 * (ON24's audience URL in its archive window, Teams' video on demand) or a recording's share
 * link (Zoom, GoTo). One link everyone may use: never a download that needs our credentials.
 */
export interface WebinarRecording {
  url: string;
  /** `on_demand`: the provider's own page, which still counts viewing as attendance. */
  kind: "on_demand" | "recording";
  /** Until when the provider keeps it, when it says. */
  availableUntil: Date | null;
}

/**
 * One registrant as the provider lists it (reconciliation, docs/webinars.md "Reconciliation"):
 * everyone registered there, whether through us or on the provider's own page.
 */
export interface ListedRegistrant extends ProviderPerson {
  /** Personal join link when the provider issues one; null: the webinar's audience URL. */
  joinUrl: string | null;
  /** "cancelled": the provider still lists the person, marked cancelled (denied, deleted). */
  status: "registered" | "cancelled";
}

export interface RegistrantListPage {
  registrants: ListedRegistrant[];
  /** Opaque position of the next page; null on the last one. */
  nextCursor: string | null;
}

/** One webinar at the provider that received the person, with the registrant id if one came back. */
export interface ErasureTarget {
  providerWebinarId: string;
  providerRegistrantId: string | null;
}

export interface ErasureResult {
  /**
   * What the provider still holds of the person after the erasure, in words for the admin
   * (never personal data): data its API cannot delete, and webinars where it refused.
   */
  retained: string[];
}

export interface WebinarType {
  id: string;
  label: string;
}

export interface WebhookRequest {
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer;
}

export interface WebhookContext {
  now: Date;
  /** The clientState values of this configuration's live subscriptions (Graph). */
  clientStates: readonly string[];
}

/** A change the provider tells us about, in provider ids. */
export type WebhookEvent =
  | {
      type: "registrant.upserted";
      providerWebinarId: string;
      registrant: ProviderRegistrant & { firstName: string | null; lastName: string | null };
    }
  | {
      type: "registrant.cancelled";
      providerWebinarId: string;
      providerRegistrantId: string | null;
      email: string | null;
    }
  | {
      type: "participant.joined" | "participant.left";
      providerWebinarId: string;
      providerRegistrantId: string | null;
      email: string | null;
      name: string | null;
      at: Date;
    }
  /** Something about attendance changed: poll the webinar now. */
  | { type: "attendance.changed"; providerWebinarId: string };

export type WebhookOutcome =
  | { kind: "respond"; status: number; body: string; contentType: string }
  | { kind: "events"; events: WebhookEvent[] }
  | { kind: "rejected"; reason: string };
