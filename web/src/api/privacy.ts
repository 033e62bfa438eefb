import { call } from "./client.ts";
import type { Page } from "./types.ts";

/** The privacy side of the API: people, their export, erasures, retention. */
export interface Contact {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  company: string | null;
  createdAt: string;
}

export type ErasureState = "pending" | "done" | "failed";

export interface Erasure {
  id: string;
  state: ErasureState;
  reimportBlocked: boolean;
  contactsErased: number;
  registrationsErased: number;
  createdAt: string;
  providers: {
    id: string;
    configurationName: string | null;
    provider: string;
    state: ErasureState;
    attempts: number;
    lastError: string | null;
    completedAt: string | null;
  }[];
}

/** What the export says each provider account received: the erasure will reach these. */
export interface ProviderReach {
  configurationId: string;
  configurationName: string | null;
  provider: string;
}

export interface Retention {
  registrationsDays: number | null;
  attendanceDays: number | null;
  auditDays: number | null;
}

export interface SweepCounts {
  dryRun: boolean;
  registrations: number;
  attendance: number;
  checkIns: number;
  auditEntries: number;
}

const v1 = "/api/v1";
const id = encodeURIComponent;

export const privacyApi = {
  findPeople: (q: string) => call<Page<Contact>>("GET", `${v1}/contacts`, undefined, { q, limit: 25 }),
  exportUrl: (contactId: string, format: "json" | "csv") =>
    `${v1}/contacts/${id(contactId)}/export?format=${format}`,
  /** The provider accounts that received the person, read from their export. */
  async reach(contactId: string): Promise<ProviderReach[]> {
    const data = await call<{ providers: ProviderReach[] }>("GET", `${v1}/contacts/${id(contactId)}/export`);
    const byAccount = new Map(data.providers.map((p) => [p.configurationId, p]));
    return [...byAccount.values()];
  },
  erase: (contactId: string) => call<Erasure>("DELETE", `${v1}/contacts/${id(contactId)}`),
  erasures: () => call<Page<Erasure>>("GET", `${v1}/erasures`, undefined, { limit: 50 }),
  retention: () => call<Retention>("GET", `${v1}/privacy/retention`),
  setRetention: (settings: Retention) => call<Retention>("PUT", `${v1}/privacy/retention`, settings),
  sweep: (dryRun: boolean) =>
    call<SweepCounts>("POST", `${v1}/privacy/retention/sweep`, undefined, {
      dryRun: dryRun ? "true" : undefined,
    }),
};
