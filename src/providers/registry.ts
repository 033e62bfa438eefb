/**
 * One adapter per provider kind. The `satisfies Record<ProviderKind, WebinarProvider>` makes the
 * map exhaustive: adding a kind to `ProviderKind` fails the build here until it is registered.
 */
import type { ProviderKind, WebinarProvider } from "./contract.ts";
import { createOn24Provider } from "./on24/adapter.ts";

export interface ProviderRegistryOptions {
  on24?: Parameters<typeof createOn24Provider>[0];
}

export function createProviderRegistry(
  options: ProviderRegistryOptions = {},
): Record<ProviderKind, WebinarProvider> {
  const registry = {
    on24: createOn24Provider(options.on24 ?? {}),
  } satisfies Record<ProviderKind, WebinarProvider>;
  return registry;
}
