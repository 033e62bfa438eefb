import type { RegistrantCampaign } from "../../../providers/contract.ts";

/** The registration's UTM columns selected beside the person (registration-sync, bulk-register). */
export const CAMPAIGN_COLUMNS = [
  "r.utm_source",
  "r.utm_medium",
  "r.utm_campaign",
  "r.utm_term",
  "r.utm_content",
] as const;

type Row = Record<"utm_source" | "utm_medium" | "utm_campaign" | "utm_term" | "utm_content", string | null>;

/** What an adapter gets of the campaign; undefined when the registration came without one. */
export function campaignOf(row: Row): RegistrantCampaign | undefined {
  const campaign = {
    utmSource: row.utm_source,
    utmMedium: row.utm_medium,
    utmCampaign: row.utm_campaign,
    utmTerm: row.utm_term,
    utmContent: row.utm_content,
  };
  return Object.values(campaign).some((v) => v !== null) ? campaign : undefined;
}
