import type { WebinarProvider } from "../contract.ts";
import { notYetAvailable } from "../not-yet.ts";

export type HttpContractProviderOptions = { fetch?: typeof fetch };

// Scaffold: replaced by the real adapter.
export function createHttpContractProvider(_options: HttpContractProviderOptions = {}): WebinarProvider {
  return notYetAvailable("http-contract", ["clientId", "clientSecret"]);
}
