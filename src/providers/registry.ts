/**
 * One adapter per provider kind. The `satisfies Record<ProviderKind, WebinarProvider>` makes the
 * map exhaustive: adding a kind to `ProviderKind` fails the build here until it is registered.
 */
import type { ProviderKind, WebinarProvider } from "./contract.ts";
import { createGotoProvider } from "./goto/adapter.ts";
import { createHttpContractProvider } from "./http-contract/adapter.ts";
import { createOn24Provider } from "./on24/adapter.ts";
import { createTeamsProvider, type TeamsProvider } from "./teams/adapter.ts";
import { createZoomProvider } from "./zoom/adapter.ts";

export interface ProviderRegistryOptions {
  on24?: Parameters<typeof createOn24Provider>[0];
  zoom?: Parameters<typeof createZoomProvider>[0];
  goto?: Parameters<typeof createGotoProvider>[0];
  teams?: Parameters<typeof createTeamsProvider>[0];
  httpContract?: Parameters<typeof createHttpContractProvider>[0];
}

/** Every adapter by kind; Teams keeps its own type for its organizer consent (the admin's connect flow). */
export type ProviderRegistry = Record<ProviderKind, WebinarProvider> & { teams: TeamsProvider };

export function createProviderRegistry(options: ProviderRegistryOptions = {}): ProviderRegistry {
  const registry = {
    on24: createOn24Provider(options.on24 ?? {}),
    zoom: createZoomProvider(options.zoom ?? {}),
    goto: createGotoProvider(options.goto ?? {}),
    teams: createTeamsProvider(options.teams ?? {}),
    "http-contract": createHttpContractProvider(options.httpContract ?? {}),
  } satisfies Record<ProviderKind, WebinarProvider>;
  return registry;
}
