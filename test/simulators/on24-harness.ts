// Test harness for the ON24 simulator: accounts, a tiny form-encoding client and control calls.
import { type On24Simulator, startOn24Simulator } from "../../simulators/on24/server.ts";

export const ACCOUNT_A = {
  clientId: 1001,
  accessTokenKey: "KEYA",
  accessTokenSecret: "secret-a",
  region: "NA" as const,
};
export const ACCOUNT_B = {
  clientId: 1002,
  accessTokenKey: "KEYB",
  accessTokenSecret: "secret-b",
  region: "NA" as const,
};
export const ACCOUNT_EU = {
  clientId: 2001,
  accessTokenKey: "KEYEU",
  accessTokenSecret: "secret-eu",
  region: "EU" as const,
};

export interface Reply {
  status: number;
  body: unknown;
  text: string;
  headers: Headers;
}

type Acc = typeof ACCOUNT_A | typeof ACCOUNT_B | typeof ACCOUNT_EU;

export class Harness {
  constructor(readonly sim: On24Simulator) {}

  static async start(): Promise<Harness> {
    return new Harness(await startOn24Simulator({ accounts: [ACCOUNT_A, ACCOUNT_B, ACCOUNT_EU], seed: 99 }));
  }

  /** ON24 call. `form` is sent form-urlencoded; `headers` override the account's token headers. */
  async on24(
    method: string,
    pathAndQuery: string,
    opts: {
      form?: Record<string, string | string[]>;
      rawBody?: string;
      account?: Acc;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Reply> {
    const acc = opts.account ?? ACCOUNT_A;
    const headers: Record<string, string> = {
      accessTokenKey: acc.accessTokenKey,
      accessTokenSecret: acc.accessTokenSecret,
      ...opts.headers,
    };
    let body: string | undefined = opts.rawBody;
    if (opts.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.form)) for (const x of [v].flat()) params.append(k, x);
      body = params.toString();
      headers["content-type"] ??= "application/x-www-form-urlencoded";
    }
    const base = this.sim.baseUrls[acc.region];
    const res = await fetch(base + pathAndQuery.replace("{cid}", String(acc.clientId)), {
      method,
      headers,
      body,
    });
    return parse(res);
  }

  async control(method: string, p: string, json?: unknown): Promise<Reply> {
    const res = await fetch(`${this.sim.url}/_sim${p}`, {
      method,
      headers: json === undefined ? {} : { "content-type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return parse(res);
  }

  async createEvent(form: Record<string, string | string[]> = {}, account: Acc = ACCOUNT_A): Promise<number> {
    const r = await this.on24("POST", "/client/{cid}/event", {
      account,
      form: {
        title: "Quarterly update",
        eventType: "fav",
        languageCd: "en",
        liveDuration: "60",
        liveStart: "2031-03-04T09:00:00",
        timeZone: "America/Los_Angeles",
        ...form,
      },
    });
    if (r.status !== 200) throw new Error(`createEvent failed: ${r.status} ${r.text}`);
    return (r.body as { wccevent: { eventId: number } }).wccevent.eventId;
  }

  register(eventId: number, form: Record<string, string>, account: Acc = ACCOUNT_A): Promise<Reply> {
    return this.on24("POST", `/client/{cid}/event/${eventId}/registrant`, { form, account });
  }
}

async function parse(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // non-JSON (e.g. the 502/503 gateway pages)
  }
  return { status: res.status, body, text, headers: res.headers };
}

export const person = (n: number, extra: Record<string, string> = {}) => ({
  email: `person${n}@example.com`,
  firstName: `First${n}`,
  lastName: `Last${n}`,
  company: "Acme",
  jobTitle: "Engineer",
  ...extra,
});
