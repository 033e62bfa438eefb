import { startZoomSimulator } from "../../simulators/zoom/server.ts";
import type { Knobs } from "../../simulators/zoom/types.ts";
import type { ProviderAccount, WebinarSpec } from "../../src/providers/contract.ts";

/** The account and app the Zoom simulator knows in the adapter and webhook tests. */
export const ZOOM_TEST_ACCOUNT = {
  accountId: "acct-test-1",
  clientId: "client-test-1",
  clientSecret: "SECRET-client-do-not-leak",
  webhookSecretToken: "WEBHOOK-secret-do-not-leak",
};

export function zoomAccount(overrides: Partial<typeof ZOOM_TEST_ACCOUNT> = {}): ProviderAccount {
  const values = { ...ZOOM_TEST_ACCOUNT, ...overrides };
  return {
    credentials: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v)])),
    settings: {},
  };
}

export async function startZoomSim(knobs: Partial<Knobs> = {}) {
  return startZoomSimulator({
    accounts: [
      {
        accountId: ZOOM_TEST_ACCOUNT.accountId,
        clientId: ZOOM_TEST_ACCOUNT.clientId,
        clientSecret: ZOOM_TEST_ACCOUNT.clientSecret,
      },
    ],
    seed: 7,
    knobs,
  });
}

export function webinarSpec(overrides: Partial<WebinarSpec> = {}): WebinarSpec {
  const startsAt = new Date(Date.now() + 86400_000);
  return {
    title: "Quarterly product webinar",
    description: "What is new this quarter",
    startsAt,
    endsAt: new Date(startsAt.getTime() + 90 * 60_000),
    timeZone: "Europe/Oslo",
    language: "en",
    ...overrides,
  };
}

export const person = (i: number, prefix = "p") => ({
  email: `${prefix}${i}@example.com`,
  firstName: `First${i}`,
  lastName: `Last${i}`,
  company: "Acme",
  jobTitle: null,
});
