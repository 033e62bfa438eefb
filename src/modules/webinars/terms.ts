/**
 * The webinar-integration terms an organization admin accepts before any provider is
 * contacted. A new version needs a new acceptance; withdrawing switches the feature off.
 */
export const WEBINAR_TERMS_VERSION = "2026-11-01";

export const WEBINAR_TERMS_TEXT = `Webinar integration terms (version ${WEBINAR_TERMS_VERSION})

1. Accepting these terms enables the webinar integration of Auditorium's event management.
2. The integration uses a partner webinar service (the provider) to run an event or a session as a webinar. You need your own account with that provider. ON24 is the default provider.
3. To run a webinar, Auditorium stores and processes the data needed for it and sends it to the provider: this includes attendees' registration data — names, email addresses, company names and job titles.
4. The provider sends webinar metrics back, such as how long each attendee watched, which Auditorium stores in your event records.
5. The integration is optional; the rest of event management works without it. An administrator switches it off by removing the credentials from a webinar configuration, or by withdrawing acceptance of these terms.
6. A key-management service holds the key that encrypts your provider-account credentials. Auditorium stores the credentials only in encrypted form, never shows them again, and uses them only to send registration data to the provider and fetch metrics back.`;
