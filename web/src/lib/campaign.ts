/**
 * The campaign a visitor arrived with (issue 15 point 8): `utm_*` from the page's address and
 * `document.referrer`. Read once, when the page opens, so later in-app navigation cannot
 * change it. Values are clipped to the server's bounds (a long campaign link must not stop a
 * person registering; the API itself answers 422 to a value too long), and a referrer that
 * is not an http(s) page is left out.
 */
const UTM_MAX = 200;
const REFERRER_MAX = 2_000;
const PARAMS = [
  ["utm_source", "utmSource"],
  ["utm_medium", "utmMedium"],
  ["utm_campaign", "utmCampaign"],
  ["utm_term", "utmTerm"],
  ["utm_content", "utmContent"],
] as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to remove them
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

export function campaignFromPage(search: string, referrer: string): Record<string, string> | undefined {
  const query = new URLSearchParams(search);
  const campaign: Record<string, string> = {};
  for (const [param, field] of PARAMS) {
    const value = (query.get(param) ?? "").replace(CONTROL_CHARS, "").trim().slice(0, UTM_MAX);
    if (value) campaign[field] = value;
  }
  if (/^https?:\/\//i.test(referrer) && referrer.length <= REFERRER_MAX) campaign.referrer = referrer;
  return Object.keys(campaign).length > 0 ? campaign : undefined;
}
