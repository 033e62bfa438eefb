// In-memory state of the simulator plus the control operations (also exposed under /_sim).
import { MSG, On24Error } from "./messages.ts";
import { mulberry32, type Rng } from "./rng.ts";
import type {
  Account,
  FaultKind,
  Knobs,
  RegField,
  ScriptedFault,
  SentEmail,
  SimEvent,
  SimRegistrant,
  SimulatorOptions,
} from "./types.ts";

export const DEFAULT_KNOBS: Knobs = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  faultAfterCommitRate: 0,
  faultKinds: ["500", "502", "503", "drop"],
  faultAfterCommitKinds: [],
  hangMs: 20_000,
  quota: null,
  quotaStatus: 403,
  publicationLagMs: 0,
  tokenIdleExpiryDays: 60,
};

/** ON24's default registration page: first name, last name, email required; a few optional fields. */
export function defaultRegFields(): RegField[] {
  const tb = (fieldid: string, fieldcaption: string, required: "Y" | "N", validationtype = "none") => ({
    fieldid,
    fieldcaption,
    fieldtype: "textbox",
    validationtype,
    required,
  });
  return [
    tb("firstname", "First Name", "Y"),
    tb("lastname", "Last Name", "Y"),
    tb("email", "Email", "Y", "email"),
    tb("company", "Company", "N"),
    tb("job_title", "Job Title", "N"),
  ];
}

const DAY = 86_400_000;

export class SimState {
  readonly accounts: Account[];
  knobs: Knobs;
  events = new Map<number, SimEvent>();
  registrants = new Map<number, SimRegistrant>();
  /** Endpoint key ("POST /client/{clientId}/event") → requests received. */
  requestCounts = new Map<string, number>();
  operationCounts = new Map<string, number>();
  /** Requests refused for the quota knob (also counted in requestCounts, as ON24 received them). */
  quotaRefused = 0;
  scriptedFaults: ScriptedFault[] = [];
  /** Emails ON24 would have sent registrants, in order (GET /_sim/emails); cleared by reset. */
  sentEmails: SentEmail[] = [];
  clockOffsetMs = 0;
  rng: Rng;
  private quotaWindows = new Map<number, { window: number; used: number }>();
  private nextIds = {
    event: 4_200_001,
    eventuser: 150_000_001,
    session: 160_000_001,
    item: 7_000_001,
    email: 177_001,
  };

  constructor(private readonly options: SimulatorOptions) {
    this.accounts = options.accounts.map((a) => ({
      clientId: a.clientId,
      accessTokenKey: a.accessTokenKey,
      accessTokenSecret: a.accessTokenSecret,
      region: a.region ?? "NA",
      active: true,
      clientActive: true,
      lastUsedAt: Date.now(),
    }));
    this.knobs = { ...DEFAULT_KNOBS, ...options.knobs };
    this.rng = mulberry32(options.seed ?? 24);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  advanceClock(ms: number): number {
    this.clockOffsetMs += ms;
    return this.now();
  }

  nextId(kind: keyof SimState["nextIds"]): number {
    const id = this.nextIds[kind];
    this.nextIds[kind] = id + 1;
    return id;
  }

  /** Back to the state right after start: no data, initial knobs, all tokens and clients active. */
  reset(): void {
    this.events.clear();
    this.registrants.clear();
    this.requestCounts.clear();
    this.operationCounts.clear();
    this.quotaRefused = 0;
    this.quotaWindows.clear();
    this.scriptedFaults = [];
    this.sentEmails = [];
    this.clockOffsetMs = 0;
    this.knobs = { ...DEFAULT_KNOBS, ...this.options.knobs };
    this.rng = mulberry32(this.options.seed ?? 24);
    this.nextIds = {
      event: 4_200_001,
      eventuser: 150_000_001,
      session: 160_000_001,
      item: 7_000_001,
      email: 177_001,
    };
    for (const a of this.accounts) {
      a.active = true;
      a.clientActive = true;
      a.lastUsedAt = Date.now();
    }
  }

  setKnobs(patch: Partial<Knobs>): Knobs {
    this.knobs = { ...this.knobs, ...patch };
    return this.knobs;
  }

  setTokenActive(accessTokenKey: string, active: boolean): Account {
    const acc = this.accounts.find((a) => a.accessTokenKey === accessTokenKey);
    if (!acc) throw new On24Error(404, `Unknown accessTokenKey ${accessTokenKey}`);
    acc.active = active;
    acc.lastUsedAt = this.now();
    return acc;
  }

  setClientActive(clientId: number, active: boolean): void {
    const list = this.accounts.filter((a) => a.clientId === clientId);
    if (list.length === 0) throw new On24Error(404, MSG.clientNotFound(String(clientId)));
    for (const a of list) a.clientActive = active;
  }

  /** Token idle expiry (ON24: 60 days without activity disables the token). */
  expireIfIdle(acc: Account): void {
    const days = this.knobs.tokenIdleExpiryDays;
    if (days > 0 && this.now() - acc.lastUsedAt > days * DAY) acc.active = false;
  }

  /** Fixed-window quota per account. Returns false when the request must be refused. */
  consumeQuota(clientId: number): boolean {
    const q = this.knobs.quota;
    if (!q) return true;
    const window = Math.floor(this.now() / q.windowMs);
    const cur = this.quotaWindows.get(clientId);
    const entry = cur && cur.window === window ? cur : { window, used: 0 };
    this.quotaWindows.set(clientId, entry);
    if (entry.used >= q.limit) {
      this.quotaRefused++;
      return false;
    }
    entry.used++;
    return true;
  }

  countRequest(endpoint: string, operationId: string): void {
    this.requestCounts.set(endpoint, (this.requestCounts.get(endpoint) ?? 0) + 1);
    this.operationCounts.set(operationId, (this.operationCounts.get(operationId) ?? 0) + 1);
  }

  requestReport() {
    let total = 0;
    for (const n of this.requestCounts.values()) total += n;
    return {
      total,
      quotaRefused: this.quotaRefused,
      byEndpoint: Object.fromEntries(this.requestCounts),
      byOperation: Object.fromEntries(this.operationCounts),
    };
  }

  /** Picks a fault for this request: scripted ones first, then the random rates. */
  pickFault(endpoint: string, isWrite: boolean, afterCommit: boolean): FaultKind | null {
    const idx = this.scriptedFaults.findIndex(
      (f) => f.afterCommit === afterCommit && (!f.endpoint || f.endpoint === endpoint),
    );
    if (idx >= 0 && (isWrite || !afterCommit)) {
      const [f] = this.scriptedFaults.splice(idx, 1);
      return f?.kind ?? null;
    }
    const rate = afterCommit ? (isWrite ? this.knobs.faultAfterCommitRate : 0) : this.knobs.errorRate;
    if (rate <= 0 || this.rng() >= rate) return null;
    const chosen =
      afterCommit && this.knobs.faultAfterCommitKinds.length > 0
        ? this.knobs.faultAfterCommitKinds
        : this.knobs.faultKinds;
    const kinds = chosen.length > 0 ? chosen : DEFAULT_KNOBS.faultKinds;
    return kinds[Math.floor(this.rng() * kinds.length)] ?? "500";
  }

  latency(): number {
    const { latencyMs, jitterMs } = this.knobs;
    return Math.max(0, latencyMs + (jitterMs > 0 ? this.rng() * jitterMs : 0));
  }

  /** Registrants visible through the API right now (walk-ins appear when the run is published). */
  visibleRegistrants(filter: (r: SimRegistrant) => boolean): SimRegistrant[] {
    const visible = (r: SimRegistrant) => {
      if (!r.walkIn) return true;
      const ev = this.events.get(r.eventId);
      return ev !== undefined && this.isPublished(ev);
    };
    return [...this.registrants.values()]
      .filter((r) => visible(r) && filter(r))
      .sort((a, b) => a.eventuserid - b.eventuserid);
  }

  /** Attendance is published `publicationLagMs` after the run ended. */
  isPublished(ev: SimEvent): boolean {
    return ev.run !== null && this.now() >= ev.run.endedAt + this.knobs.publicationLagMs;
  }

  /** Control report: every registrant per event with how many create calls carried the email. */
  registrantReport(eventId?: number) {
    const events = [...this.events.values()].filter((e) => eventId === undefined || e.eventId === eventId);
    return events.map((e) => {
      const regs = [...this.registrants.values()].filter((r) => r.eventId === e.eventId);
      return {
        eventId: e.eventId,
        clientId: e.clientId,
        deleted: e.deleted,
        count: regs.length,
        registrants: regs.map((r) => ({
          eventuserid: r.eventuserid,
          email: r.fields.email ?? "",
          originalEmail: r.originalEmail,
          createCount: r.createCount,
          userstatus: r.status,
          blocked: r.blocked,
          walkIn: r.walkIn,
        })),
      };
    });
  }
}
