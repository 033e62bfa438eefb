import type { RegistrantCampaign } from "../../../providers/contract.ts";
import {
  type Campaign,
  CAMPAIGN_COLUMNS as STORED_COLUMNS,
  toCampaignDto,
} from "../../registrations/campaign.ts";

/**
 * The registration's UTM columns selected beside the person (registration-sync, bulk-register).
 * Not the referrer: no provider has a field for it (contract.ts).
 */
export const CAMPAIGN_COLUMNS = STORED_COLUMNS.filter((c) => c !== "referrer").map((c) => `r.${c}` as const);

/** What an adapter gets of the campaign (the API's view less the referrer); undefined when the registration came without one. */
export function campaignOf(row: Omit<Campaign, "referrer">): RegistrantCampaign | undefined {
  const dto = toCampaignDto({ ...row, referrer: null });
  if (dto === null) return undefined;
  const { referrer: _, ...campaign } = dto;
  return campaign;
}
