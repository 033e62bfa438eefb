import type { RegistrantNotices } from "../../src/modules/registrations/registrant-notices.ts";

export type Notice =
  | { kind: "registered"; registrationId: string; pageToken: string | null }
  | { kind: "already_registered"; registrationId: string }
  | { kind: "promoted"; registrationId: string; pageToken: string }
  | { kind: "cancelled"; registrationId: string }
  | { kind: "confirmation_requested"; registrationId: string; confirmToken: string; expiresAt: Date };

/**
 * Keeps what the registration service would tell registrants, so a test can act as the
 * person who received it (open their page, click their confirmation link).
 */
export class RecordedNotices implements RegistrantNotices {
  readonly all: Notice[] = [];

  async registered(_trx: unknown, n: { registrationId: string; pageToken: string | null }) {
    this.all.push({ kind: "registered", ...n });
  }
  async alreadyRegistered(_trx: unknown, n: { registrationId: string }) {
    this.all.push({ kind: "already_registered", ...n });
  }
  async promoted(_trx: unknown, n: { registrationId: string; pageToken: string }) {
    this.all.push({ kind: "promoted", ...n });
  }
  async cancelled(_trx: unknown, n: { registrationId: string }) {
    this.all.push({ kind: "cancelled", ...n });
  }
  async confirmationRequested(
    _trx: unknown,
    n: { registrationId: string; confirmToken: string; expiresAt: Date },
  ) {
    this.all.push({ kind: "confirmation_requested", ...n });
  }

  /** The newest notice of a kind, or a clear failure naming what was missing. */
  last<K extends Notice["kind"]>(kind: K): Extract<Notice, { kind: K }> {
    const found = this.all.findLast((n) => n.kind === kind);
    if (!found) throw new Error(`no ${kind} notice was given`);
    return found as Extract<Notice, { kind: K }>;
  }
}
