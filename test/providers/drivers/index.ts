import type { ProviderSimDriver } from "../../helpers/provider-driver.ts";

/**
 * Every provider driver, by file name. Listed, not discovered by reading the folder, so the
 * compiled test build (scripts/test.mjs) imports them as it imports any module; the guarantees
 * fail when a file in this folder is missing here (test/providers/guarantees/setup.ts).
 */
export const drivers: Record<string, () => Promise<{ start?: () => Promise<ProviderSimDriver> }>> = {
  goto: () => import("./goto.ts"),
  "http-contract": () => import("./http-contract.ts"),
  on24: () => import("./on24.ts"),
  teams: () => import("./teams.ts"),
  zoom: () => import("./zoom.ts"),
};
