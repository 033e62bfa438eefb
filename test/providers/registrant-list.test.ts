import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { ListedRegistrant, ProviderAccount, WebinarProvider } from "../../src/providers/contract.ts";
import { createGotoProvider } from "../../src/providers/goto/adapter.ts";
import { createZoomProvider } from "../../src/providers/zoom/adapter.ts";
import { gotoAccount, sim as gotoSim, startGoto } from "../simulators/goto-harness.ts";
import { startZoomSim, webinarSpec, zoomAccount } from "../simulators/zoom-harness.ts";

/**
 * The adapters' registrant lists (reconciliation) against the simulators, page by page: every
 * registrant once, cancelled ones marked, and the vendor's paging followed to its end. The
 * other three providers are covered end to end by the guarantee suite's reconciliation scenario.
 */
const zoom = await startZoomSim();
const goto = await startGoto({ rateLimitPerSecond: null });
after(() => Promise.all([zoom.close(), goto.close()]));

async function listAll(provider: WebinarProvider, account: ProviderAccount, id: string) {
  const all: ListedRegistrant[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await (provider.listRegistrants as NonNullable<WebinarProvider["listRegistrants"]>)(
      account,
      id,
      cursor,
    );
    all.push(...page.registrants);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null);
  return { all, pages };
}

async function post(base: string, path: string, body?: unknown) {
  const res = await fetch(`${base}/_sim${path}`, {
    method: "POST",
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  const text = await res.text();
  assert.ok(res.ok, text);
  return JSON.parse(text) as { providerRegistrantId: string };
}

describe("registrant lists", () => {
  test("Zoom: approved then denied, next_page_token followed past 300 a page; cancelled ones are cancelled", async () => {
    const provider = createZoomProvider({ apiUrl: zoom.apiUrl, oauthUrl: zoom.oauthUrl });
    const account = zoomAccount();
    const w = await provider.createWebinar(account, webinarSpec());
    const ids: string[] = [];
    for (let i = 0; i < 305; i++) {
      const r = await post(zoom.url, `/webinars/${w.providerWebinarId}/self-registrations`, {
        email: `z${i}@example.com`,
        firstName: `Z${i}`,
        lastName: "Person",
        company: "Acme",
      });
      ids.push(r.providerRegistrantId);
    }
    await post(zoom.url, `/webinars/${w.providerWebinarId}/self-registrations/${ids[7]}/cancel`);
    const { all, pages } = await listAll(provider, account, w.providerWebinarId);
    // Approved: 304 in two pages, denied: one page.
    assert.equal(pages, 3);
    assert.equal(all.length, 305);
    assert.equal(new Set(all.map((r) => r.providerRegistrantId)).size, 305, "each registrant once");
    const cancelled = all.filter((r) => r.status === "cancelled");
    assert.deepEqual(
      cancelled.map((r) => r.email),
      ["z7@example.com"],
    );
    const one = all.find((r) => r.email === "z0@example.com");
    assert.equal(one?.firstName, "Z0");
    assert.equal(one?.company, "Acme");
    assert.match(one?.joinUrl ?? "", /^https:\/\/zoom\.us\/w\//);
  });

  test("GoTo: page and limit (200) to the total; a cancel removes the registrant, a denied one is cancelled", async () => {
    const provider = createGotoProvider({ apiUrl: goto.apiUrl, authUrl: goto.authUrl });
    const account = gotoAccount();
    const startsAt = new Date(Date.now() + 7 * 86_400_000);
    const w = await provider.createWebinar(account, {
      title: "Listed",
      description: "",
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3600_000),
      timeZone: "Europe/Oslo",
      language: "en",
    });
    const keys: string[] = [];
    for (let i = 0; i < 203; i++) {
      const r = await post(goto.url, `/webinars/${w.providerWebinarId}/self-registrations`, {
        email: `g${i}@example.com`,
        firstName: `G${i}`,
        lastName: "Person",
      });
      keys.push(r.providerRegistrantId);
    }
    await post(goto.url, `/webinars/${w.providerWebinarId}/self-registrations/${keys[3]}/cancel`);
    const denied = goto.state.registrants.get(BigInt(keys[5] as string));
    if (denied) denied.status = "DENIED";
    const { all, pages } = await listAll(provider, account, w.providerWebinarId);
    assert.equal(pages, 2);
    assert.equal(all.length, 202, "the cancelled registrant is gone from GoTo's list");
    assert.ok(!all.some((r) => r.email === "g3@example.com"));
    assert.deepEqual(
      all.filter((r) => r.status === "cancelled").map((r) => r.email),
      ["g5@example.com"],
    );
    assert.equal(provider.cancelledRegistrantsVanish, true);
    // Keys beyond 2^53 stay exact strings.
    assert.ok(all.every((r) => /^\d+$/.test(r.providerRegistrantId)));
    assert.ok((await gotoSim(goto, "GET", `/webinars/${w.providerWebinarId}/registrants`)).length >= 203);
  });
});
