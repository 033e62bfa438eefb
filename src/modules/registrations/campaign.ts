import { sql } from "kysely";
import { z } from "zod";
import { unprocessable } from "../../lib/errors.ts";

/**
 * Campaign tracking (issue 15 point 8): the UTM parameters and the referrer a registration
 * arrived with. The schema only caps the size of what is read (a megabyte of "utm" is not
 * a campaign); the real bounds are checked here so that a value too long answers 422
 * naming its field, as the public page needs to tell a broken campaign link from bad input.
 */
export const UTM_MAX = 200;
export const REFERRER_MAX = 2_000;

const raw = z.string().max(10_000).nullable().optional();
export const campaignInput = z
  .strictObject({
    utmSource: raw,
    utmMedium: raw,
    utmCampaign: raw,
    utmTerm: raw,
    utmContent: raw,
    referrer: raw,
  })
  .optional();
export type CampaignInput = z.infer<typeof campaignInput>;

export const campaignResponse = z
  .object({
    utmSource: z.string().nullable(),
    utmMedium: z.string().nullable(),
    utmCampaign: z.string().nullable(),
    utmTerm: z.string().nullable(),
    utmContent: z.string().nullable(),
    referrer: z.string().nullable(),
  })
  .nullable();

/** The stored form: one column each, null when not known. */
export interface Campaign {
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  referrer: string | null;
}

export const NO_CAMPAIGN: Campaign = {
  utm_source: null,
  utm_medium: null,
  utm_campaign: null,
  utm_term: null,
  utm_content: null,
  referrer: null,
};

/**
 * The columns in the one order every writer and reader of them keeps: the bulk insert's
 * arrays, the CSV exports' headers and cells, the API's fields.
 */
export const CAMPAIGN_COLUMNS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "referrer",
] as const satisfies readonly (keyof typeof NO_CAMPAIGN)[];
type CampaignColumn = (typeof CAMPAIGN_COLUMNS)[number];

/** The columns of the registrations aliased `r`, as a select list in their order (the CSV exports). */
export const campaignSelection = (r: string) => sql.join(CAMPAIGN_COLUMNS.map((c) => sql.ref(`${r}.${c}`)));

/** A column's name in the API: utm_source is utmSource. */
type FieldOf<C extends string> = C extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<FieldOf<Tail>>}`
  : C;
const fieldOf = <C extends CampaignColumn>(column: C) =>
  column.replace(/_(.)/g, (_, letter: string) => letter.toUpperCase()) as FieldOf<C>;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to match them
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function cleanLine(value: string | null | undefined, field: string, max: number): string | null {
  const s = (value ?? "").trim();
  if (s === "") return null;
  if (s.length > max) throw unprocessable("value_too_long", `${field}: at most ${max} characters`, field);
  if (CONTROL_CHARS.test(s) || s.includes("\uFFFD"))
    throw unprocessable("invalid_value", `${field}: must not contain control characters`, field);
  return s;
}

/**
 * Only the referrer's origin and path are kept: its query and fragment often carry other
 * sites' personal data (a search term, an address in a mail link), which we have no reason
 * to hold.
 */
function cleanReferrer(value: string | null | undefined, field: string): string | null {
  const s = cleanLine(value, field, REFERRER_MAX);
  if (s === null) return null;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw unprocessable("invalid_value", `${field}: must be an http(s) URL`, field);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw unprocessable("invalid_value", `${field}: must be an http(s) URL`, field);
  return `${url.origin}${url.pathname}`;
}

/** Checks and normalises a campaign; `prefix` is the body path the fields sit under (for the 422). */
export function parseCampaign(input: CampaignInput, prefix = "campaign."): Campaign {
  if (!input) return NO_CAMPAIGN;
  const out: Campaign = { ...NO_CAMPAIGN };
  for (const column of CAMPAIGN_COLUMNS) {
    const name = fieldOf(column);
    out[column] =
      column === "referrer"
        ? cleanReferrer(input[name], `${prefix}${name}`)
        : cleanLine(input[name], `${prefix}${name}`, UTM_MAX);
  }
  return out;
}

/** The API's view of a registration's campaign; null when it arrived without one. */
export function toCampaignDto(c: Campaign) {
  if (CAMPAIGN_COLUMNS.every((k) => c[k] === null)) return null;
  return Object.fromEntries(CAMPAIGN_COLUMNS.map((k) => [fieldOf(k), c[k]])) as {
    [K in CampaignColumn as FieldOf<K>]: string | null;
  };
}
