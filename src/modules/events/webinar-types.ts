import type { Transaction } from "kysely";
import type { Database } from "../../db/schema.ts";
import { unprocessable } from "../../lib/errors.ts";
import type { ProviderKind, WebinarType } from "../../providers/contract.ts";

/** A provider's webinar types; null when the provider has no fixed list (any id is passed on). */
export type WebinarTypesOf = (provider: ProviderKind) => readonly WebinarType[] | null;

/** The types each adapter declares. Static data: building the registry opens no connection. */
export function webinarTypesFromRegistry(
  providers: Record<ProviderKind, { webinarTypes?(): readonly WebinarType[] }>,
): WebinarTypesOf {
  return (provider) => providers[provider]?.webinarTypes?.() ?? null;
}

/**
 * A webinar type must be one the chosen configuration's provider offers (422 naming
 * `webinarType`), so a typo fails here rather than as a failed provisioning later.
 */
export function createWebinarTypeCheck(webinarTypesOf: WebinarTypesOf) {
  return async function assertWebinarType(
    trx: Transaction<Database>,
    organizationId: string,
    configurationId: string | null,
    webinarType: string | null,
  ) {
    if (webinarType === null || configurationId === null) return;
    const config = await trx
      .selectFrom("webinar_configurations")
      .select("provider")
      .where("organization_id", "=", organizationId)
      .where("id", "=", configurationId)
      .executeTakeFirst();
    if (!config) return; // the configuration check names that field
    const types = webinarTypesOf(config.provider as ProviderKind);
    if (types && !types.some((t) => t.id === webinarType)) {
      throw unprocessable(
        "unknown_webinar_type",
        `webinarType must be one of ${config.provider}'s types: ${types.map((t) => t.id).join(", ")}`,
        "webinarType",
      );
    }
  };
}
