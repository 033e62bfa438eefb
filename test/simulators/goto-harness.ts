// Shared set-up of the GoTo tests: the simulator's accounts, a ProviderAccount for the adapter,
// and small helpers for the simulator's /_sim control API.

import { type GotoSimulator, startGotoSimulator } from "../../simulators/goto/server.ts";
import type { Knobs } from "../../simulators/goto/types.ts";
import type { ProviderAccount } from "../../src/providers/contract.ts";

/** Organizer keys above 2^53 on purpose: every path the adapter builds carries one. */
export const GOTO_ACCOUNT = {
  clientId: "goto-client-4242",
  clientSecret: "GOTO-SECRET-do-not-leak",
  refreshToken: "GOTO-REFRESH-do-not-leak",
  organizerKey: "9007199254740993",
};

export const GOTO_OTHER_ACCOUNT = {
  clientId: "goto-client-other",
  clientSecret: "GOTO-OTHER-SECRET",
  refreshToken: "GOTO-OTHER-REFRESH",
  organizerKey: "9007199254799999",
};

export async function startGoto(knobs: Partial<Knobs> = {}): Promise<GotoSimulator> {
  return startGotoSimulator({ accounts: [GOTO_ACCOUNT, GOTO_OTHER_ACCOUNT], seed: 7, knobs });
}

export function gotoAccount(
  creds: {
    clientId: string;
    clientSecret: string;
    refreshToken: string;
    organizerKey: string;
  } = GOTO_ACCOUNT,
): ProviderAccount {
  return {
    credentials: {
      clientId: Buffer.from(creds.clientId),
      clientSecret: Buffer.from(creds.clientSecret),
      refreshToken: Buffer.from(creds.refreshToken),
    },
    settings: { organizerKey: creds.organizerKey },
  };
}

export async function sim<T = any>(
  s: GotoSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${s.url}/_sim${path}`, {
    method,
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`/_sim${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export interface SimRegistrantRow {
  email: string;
  registrantKey: string;
  status: "registered" | "cancelled";
  createdCount: number;
}

export const simRegistrants = (s: GotoSimulator, webinarKey: string) =>
  sim<SimRegistrantRow[]>(s, "GET", `/webinars/${webinarKey}/registrants`);

export const tokenExchanges = async (s: GotoSimulator) =>
  (await sim<{ byEndpoint: Record<string, number> }>(s, "GET", "/requests")).byEndpoint[
    "POST /oauth/token"
  ] ?? 0;
