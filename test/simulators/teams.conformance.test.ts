// The Graph simulator speaks Graph on the wire: raw HTTP checks of the shapes the adapter relies
// on (so a simulator drifting from Graph fails here, not silently in the adapter tests).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  startTeamsSim,
  TEAMS_APP,
  TEAMS_APP_NO_POLICY,
  TEAMS_TENANT,
  type TeamsSim,
} from "./teams-fixtures.ts";

let sim: TeamsSim;
before(async () => {
  sim = await startTeamsSim({ pageSize: 2 });
});
after(() => sim.close());

async function token(app = TEAMS_APP, tenant = TEAMS_TENANT) {
  return fetch(`${sim.loginUrl}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      scope: "https://graph.microsoft.com/.default",
      grant_type: "client_credentials",
    }),
  });
}

// Wire bodies are checked field by field below.
const json = (res: Response): Promise<any> => res.json();

async function graph(method: string, path: string, bearer: string, body?: unknown) {
  const res = await fetch(path.startsWith("http") ? path : `${sim.graphUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const when = (h: number) => ({
  dateTime: new Date(Date.now() + h * 3600_000).toISOString().slice(0, 19),
  timeZone: "UTC",
});

test("token endpoint: client-credentials answer and the identity platform's error envelope", async () => {
  const ok = await token();
  assert.equal(ok.status, 200);
  const body = await json(ok);
  assert.equal(body.token_type, "Bearer");
  assert.ok(body.expires_in > 3000 && typeof body.access_token === "string");
  const bad = await token({ ...TEAMS_APP, clientSecret: "wrong" });
  assert.equal(bad.status, 401);
  const err = await json(bad);
  assert.equal(err.error, "invalid_client");
  assert.deepEqual(err.error_codes, [7000215]);
  assert.match(err.error_description, /^AADSTS7000215:/);
});

test("Graph: draft → published, 204 registration without body, OData filter and nextLink paging, error envelope", async () => {
  const bearer = (await json(await token())).access_token as string;
  const created = await graph("POST", "/solutions/virtualEvents/webinars", bearer, {
    displayName: "Wire check",
    startDateTime: when(1),
    endDateTime: when(2),
  });
  assert.equal(created.status, 201);
  assert.equal(created.json.status, "draft");
  assert.match(created.json.id, new RegExp(`^[0-9a-f-]{36}@${TEAMS_TENANT}$`));
  const path = `/solutions/virtualEvents/webinars/${created.json.id}`;
  const early = await graph("POST", `${path}/registrations`, bearer, { email: "early@example.com" });
  assert.equal(early.status, 400);
  assert.equal((await graph("POST", `${path}/publish`, bearer)).status, 204);
  const missing = await graph("POST", `${path}/registrations`, bearer, {
    email: "a@example.com",
    firstName: "A",
  });
  assert.equal(missing.status, 400);
  assert.equal(missing.json.error.code, "BadRequest");
  assert.match(missing.json.error.message, /'lastName'/);
  assert.ok(missing.json.error.innerError["request-id"]);
  for (const e of ["a@example.com", "b@example.com", "c@example.com"]) {
    const r = await graph("POST", `${path}/registrations`, bearer, {
      email: e,
      firstName: "F",
      lastName: "L",
      preferredTimezone: "UTC",
      preferredLanguage: "en-us",
    });
    assert.equal(r.status, 204);
    assert.equal(r.text, "");
  }
  const first = await graph("GET", `${path}/registrations`, bearer);
  assert.equal(first.json.value.length, 2);
  const second = await graph("GET", first.json["@odata.nextLink"], bearer);
  assert.equal(second.json.value.length, 1);
  assert.equal(second.json["@odata.nextLink"], undefined);
  const filtered = await graph(
    "GET",
    `${path}/registrations?$filter=${encodeURIComponent("email eq 'b@example.com'")}`,
    bearer,
  );
  assert.deepEqual(
    filtered.json.value.map((r: { email: string }) => r.email),
    ["b@example.com"],
  );
  const unknown = await graph("GET", "/solutions/virtualEvents/webinars/nope@x", bearer);
  assert.equal(unknown.status, 404);
  assert.equal(typeof unknown.json.error.code, "string");
});

test("Graph: 401 without a valid token, 403 without an access policy, 429 with Retry-After", async () => {
  const none = await graph("GET", "/solutions/virtualEvents/webinars/x@y", "not-a-token");
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, "InvalidAuthenticationToken");
  const noPolicy = (await json(await token(TEAMS_APP_NO_POLICY))).access_token as string;
  const denied = await graph("POST", "/solutions/virtualEvents/webinars", noPolicy, {
    displayName: "x",
    startDateTime: when(1),
    endDateTime: when(2),
  });
  assert.equal(denied.status, 403);
  const bearer = (await json(await token())).access_token as string;
  sim.state.setKnobs({ requestsPerSecond: 2 });
  try {
    const codes = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await graph("GET", "/solutions/virtualEvents/webinars/x@y", bearer);
      codes.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    assert.ok(codes.includes(429), codes.join(","));
    assert.match(retryAfter ?? "", /^\d+$/);
  } finally {
    sim.state.setKnobs({ requestsPerSecond: null });
  }
});
