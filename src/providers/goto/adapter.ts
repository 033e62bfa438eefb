import type { WebinarProvider } from "../contract.ts";
import { notYetAvailable } from "../not-yet.ts";

export type GotoProviderOptions = { apiUrl?: string; authUrl?: string; fetch?: typeof fetch };

// Scaffold: replaced by the real adapter.
export function createGotoProvider(_options: GotoProviderOptions = {}): WebinarProvider {
  return notYetAvailable("goto", ["clientId", "clientSecret", "refreshToken"]);
}
