import type { WebinarProvider } from "../contract.ts";
import { notYetAvailable } from "../not-yet.ts";

export type ZoomProviderOptions = { apiUrl?: string; oauthUrl?: string; fetch?: typeof fetch };

// Scaffold: replaced by the real adapter.
export function createZoomProvider(_options: ZoomProviderOptions = {}): WebinarProvider {
  return notYetAvailable("zoom", ["accountId", "clientId", "clientSecret"]);
}
