import type { WebinarProvider } from "../contract.ts";
import { notYetAvailable } from "../not-yet.ts";

export type TeamsProviderOptions = { graphUrl?: string; loginUrl?: string; fetch?: typeof fetch };

// Scaffold: replaced by the real adapter.
export function createTeamsProvider(_options: TeamsProviderOptions = {}): WebinarProvider {
  return notYetAvailable("teams", ["clientId", "clientSecret"]);
}
