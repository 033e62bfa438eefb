import assert from "node:assert/strict";
import { before, test } from "node:test";
import { sql } from "kysely";
import type { AuditLogRow } from "../../src/db/schema-audit.ts";
import { hashToken } from "../../src/lib/ids.ts";
import { auditedRoutes } from "../../src/modules/audit/audit.trail.ts";
import { WEBINAR_TERMS_VERSION } from "../../src/modules/webinars/terms.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import {
  BODY_OVERRIDES,
  type BodyOverrides,
  buildCall,
  type Operation,
  operations,
} from "../helpers/openapi-routes.ts";
import { routeFixtures } from "../helpers/route-fixtures.ts";

/**
 * The audit log (issue 7, item 4): every admin mutation in the API — derived from the running
 * app's OpenAPI document and a viewer's refusals, so routes added later are covered — writes
 * exactly one entry with actor, target and request id, and never a secret or personal value.
 */

const OPEN = [
  /^\/api\/v1\/public\//,
  /^\/api\/v1\/auth\/(link|login|invitation|sign-in-link|password-reset)$/,
];
const isOpen = (path: string) => OPEN.some((re) => re.test(path));
const key = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;

const unique = Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
const CLIENT_ID = "86420975318642097531";
const CREATE_KEY = `audit-create-key-${unique}`;
const CREATE_SECRET = `audit-create-secret-${unique}`;
const PATCH_KEY = `audit-patch-key-${unique}`;
const MEMBER_EMAIL = `audit-member-${unique}@example.com`;
const MEMBER_NAME = `Audit Person ${unique}`;

const BODIES: BodyOverrides = {
  ...BODY_OVERRIDES,
  "post /api/v1/webinar/terms/accept": () => ({ version: WEBINAR_TERMS_VERSION }),
  "post /api/v1/webinar-configurations": () => ({
    provider: "on24",
    name: "Audit account",
    settings: { region: "EU" },
    credentials: { clientId: CLIENT_ID, accessTokenKey: CREATE_KEY, accessTokenSecret: CREATE_SECRET },
  }),
  "patch /api/v1/webinar-configurations/{id}": () => ({
    name: "Audit account renamed",
    credentials: { accessTokenKey: PATCH_KEY },
  }),
  "post /api/v1/members": () => ({ email: MEMBER_EMAIL, name: MEMBER_NAME, role: "viewer" }),
  "post /api/v1/api-tokens": () => ({ name: `audit token ${unique}`, role: "viewer" }),
};

// Writes that destroy their target run last, so the other routes still find theirs.
const destructive = (o: Operation) => o.method === "delete" || /\/(cancel|withdraw)$/.test(o.path);
const destructiveLast = (x: Operation, y: Operation) => Number(destructive(x)) - Number(destructive(y));

/** The `{id}` path parameter's value in `url`, for a route `path`. */
function pathId(path: string, url: string): string | null {
  if (!path.includes("{id}")) return null;
  const names: string[] = [];
  const pattern = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return "([^/?]+)";
  });
  const match = new RegExp(`^${pattern}(?:\\?|$)`).exec(url);
  return match?.[names.indexOf("id") + 1] ?? null;
}

forEachBackend("audit", (ctx) => {
  let org: TestOrg;
  let ops: Operation[] = [];
  const adminMutations: Operation[] = [];
  let adminTokenId: string;
  /** Secrets and personal values sent or received by this suite; none may reach the log. */
  const secrets = new Set<string>([
    CLIENT_ID,
    CREATE_KEY,
    CREATE_SECRET,
    PATCH_KEY,
    MEMBER_EMAIL,
    MEMBER_NAME,
  ]);
  let requestCounter = 0;

  const entries = (organizationId = org.id): Promise<AuditLogRow[]> =>
    ctx.database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .orderBy("id")
      .execute();

  async function send(o: Operation, ids: Record<string, string>, token: string, requestId?: string) {
    const call = buildCall(o, ids, BODIES);
    assert.deepEqual(call.unresolved, [], `${key(o)}: add a fixture for its parameters`);
    const res = await ctx.request(o.method, call.url, {
      token,
      headers: { ...call.headers, ...(requestId && { "x-request-id": requestId }) },
      ...(call.body !== undefined && { body: call.body }),
      ...(call.raw !== undefined && { raw: call.raw }),
    });
    return { res, call };
  }

  before(async () => {
    org = await ctx.createOrg("Audit org");
    for (const token of Object.values(org.tokens)) secrets.add(token);
    ops = (await operations(ctx)).sort(destructiveLast);
    const row = await ctx.database.db
      .selectFrom("api_tokens")
      .select("id")
      .where("token_hash", "=", hashToken(org.tokens.admin))
      .executeTakeFirstOrThrow();
    adminTokenId = row.id;
  });

  test("the admin mutations are derived from the API, each declares its audit action, refusals write nothing", async () => {
    const ids = await routeFixtures(ctx, org);
    const before = (await entries()).length;
    // A viewer is refused every write before validation; the message names the role needed.
    for (const o of ops.filter((op) => op.method !== "get" && !isOpen(op.path))) {
      const { res } = await send(o, ids, org.tokens.viewer);
      assert.equal(res.status, 403, `${key(o)}: ${res.text}`);
      if (/needs the (admin|owner) role/.test(res.body.error.message)) adminMutations.push(o);
    }
    const names = adminMutations.map(key);
    for (const known of [
      "PATCH /api/v1/organization",
      "POST /api/v1/members",
      "PATCH /api/v1/members/{id}",
      "DELETE /api/v1/members/{id}",
      "POST /api/v1/api-tokens",
      "DELETE /api/v1/api-tokens/{id}",
      "POST /api/v1/webinar/terms/accept",
      "POST /api/v1/webinar/terms/withdraw",
      "POST /api/v1/webinar-configurations",
      "PATCH /api/v1/webinar-configurations/{id}",
      "DELETE /api/v1/webinar-configurations/{id}/credentials",
      "POST /api/v1/webinar-configurations/{id}/check",
      "DELETE /api/v1/webinar-configurations/{id}",
      "POST /api/v1/webinar-configurations/{id}/replay",
    ])
      assert.ok(names.includes(known), `${known} is not among the derived admin mutations`);
    const declared = auditedRoutes(ctx.app);
    const undeclared = names.filter((n) => !declared.has(n));
    assert.deepEqual(undeclared, [], "add config: { audit: ... } to these admin routes");
    assert.equal((await entries()).length, before, "refused calls wrote audit entries");
  });

  test("every admin mutation writes exactly one entry with action, actor, target and request id", async () => {
    assert.ok(adminMutations.length >= 14, "the previous test derived the admin mutations");
    const ids = await routeFixtures(ctx, org);
    const declared = auditedRoutes(ctx.app);
    const succeeded: string[] = [];
    for (const o of adminMutations) {
      const requestId = `audit-${unique}-${++requestCounter}`;
      const before = (await entries()).length;
      const { res, call } = await send(o, ids, org.tokens.admin, requestId);
      if (typeof res.body?.token === "string") secrets.add(res.body.token);
      const mine = (await entries()).filter((e) => e.request_id === requestId);
      const total = (await entries()).length;
      if (res.status >= 200 && res.status < 300) {
        succeeded.push(key(o));
        assert.equal(mine.length, 1, `${key(o)}: ${mine.length} entries`);
        assert.equal(total, before + 1, `${key(o)}: other entries were written too`);
        const entry = mine[0] as AuditLogRow;
        const expectedTarget = pathId(o.path, call.url) ?? res.body?.id ?? res.body?.userId ?? null;
        assert.equal(entry.action, declared.get(key(o)));
        assert.equal(entry.target_type, entry.action.split(".")[0]);
        assert.equal(entry.target_id, expectedTarget, `${key(o)}: target`);
        assert.equal(entry.actor_kind, "token");
        assert.equal(entry.actor_user_id, org.ownerId);
        assert.equal(entry.actor_token_id, adminTokenId);
        assert.equal(entry.organization_id, org.id);
      } else {
        // A state refusal (e.g. "no credentials to check", "in use") is a failed call.
        assert.ok(res.status >= 400 && res.status < 500, `${key(o)}: ${res.status} ${res.text}`);
        assert.equal(mine.length, 0, `${key(o)} failed (${res.status}) but wrote an entry`);
        assert.equal(total, before);
      }
    }
    for (const known of [
      "PATCH /api/v1/organization",
      "POST /api/v1/members",
      "PATCH /api/v1/members/{id}",
      "DELETE /api/v1/members/{id}",
      "POST /api/v1/api-tokens",
      "DELETE /api/v1/api-tokens/{id}",
      "POST /api/v1/webinar/terms/accept",
      "POST /api/v1/webinar/terms/withdraw",
      "POST /api/v1/webinar-configurations",
      "PATCH /api/v1/webinar-configurations/{id}",
      "DELETE /api/v1/webinar-configurations/{id}/credentials",
      "POST /api/v1/webinar-configurations/{id}/replay",
    ])
      assert.ok(succeeded.includes(known), `${known} did not succeed with an admin token`);

    // Credential changes are recorded as the names of the fields set, nothing more.
    const byAction = async (action: string) => (await entries()).filter((e) => e.action === action).at(-1);
    assert.deepEqual((await byAction("webinar_configuration.created"))?.details, {
      fields: ["name", "provider", "settings"],
      fieldsSet: ["accessTokenKey", "accessTokenSecret", "clientId"],
      provider: "on24",
    });
    assert.deepEqual((await byAction("webinar_configuration.updated"))?.details, {
      fields: ["name"],
      fieldsSet: ["accessTokenKey"],
    });
    assert.deepEqual((await byAction("member.invited"))?.details, {
      fields: ["email", "name", "role"],
      role: "viewer",
    });
  });

  test("failed admin calls write no entry", async () => {
    const before = (await entries()).length;
    const missing = "01900000-0000-7000-8000-000000000000";
    const token = org.tokens.admin;
    const attempts = [
      await ctx.request("PATCH", `/api/v1/members/${missing}`, { token, body: { role: "viewer" } }),
      await ctx.request("DELETE", `/api/v1/api-tokens/${missing}`, { token }),
      await ctx.request("DELETE", `/api/v1/webinar-configurations/${missing}/credentials`, { token }),
      await ctx.request("POST", "/api/v1/members", {
        token,
        body: { email: "not-an-email", name: "X", role: "viewer" },
      }),
      await ctx.request("POST", "/api/v1/members", {
        token,
        body: { email: MEMBER_EMAIL, name: "X", role: "owner" },
      }),
      await ctx.request("POST", "/api/v1/webinar/terms/accept", { token, body: { version: "0-outdated" } }),
      await ctx.request("PATCH", "/api/v1/organization", {
        token: org.tokens.marketer,
        body: { name: "Nope" },
      }),
    ];
    for (const res of attempts) assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
    assert.equal((await entries()).length, before);
  });

  test("a change and its entry commit together: when the entry cannot be written, nothing changes", async () => {
    // The database refuses every audit entry, as a crash between change and entry would lose it.
    await sql`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$`.execute(ctx.database.db);
    await sql`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log
      FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`.execute(ctx.database.db);
    const orgRow = () =>
      ctx.database.db
        .selectFrom("organizations")
        .selectAll()
        .where("id", "=", org.id)
        .executeTakeFirstOrThrow();
    const tokenCount = async () =>
      (
        await ctx.database.db
          .selectFrom("api_tokens")
          .select("id")
          .where("organization_id", "=", org.id)
          .execute()
      ).length;
    const retention = async () =>
      (await ctx.request("GET", "/api/v1/privacy/retention", { token: org.tokens.admin })).body;
    const before = { org: await orgRow(), tokens: await tokenCount(), retention: await retention() };
    const entriesBefore = (await entries()).length;
    try {
      const attempts = [
        await ctx.request("PATCH", "/api/v1/organization", {
          token: org.tokens.admin,
          body: { name: "Renamed without a trace" },
        }),
        await ctx.request("POST", "/api/v1/api-tokens", {
          token: org.tokens.admin,
          body: { name: "untraced token", role: "viewer" },
        }),
        await ctx.request("PUT", "/api/v1/privacy/retention", {
          token: org.tokens.admin,
          body: { registrationsDays: 11, attendanceDays: 12, auditDays: 400 },
        }),
      ];
      for (const res of attempts) {
        assert.equal(res.status, 500, res.text);
        assert.equal(typeof res.body.error.requestId, "string");
      }
      assert.deepEqual(await orgRow(), before.org, "the organization changed without its entry");
      assert.equal(await tokenCount(), before.tokens, "a token was created without its entry");
      assert.deepEqual(await retention(), before.retention, "retention changed without its entry");
    } finally {
      await sql`DROP TRIGGER test_refuse_audit ON audit_log`.execute(ctx.database.db);
      await sql`DROP FUNCTION test_refuse_audit()`.execute(ctx.database.db);
    }
    assert.equal((await entries()).length, entriesBefore);
    // Once the entry can be written, the same change commits with it.
    const done = await ctx.request("PATCH", "/api/v1/organization", {
      token: org.tokens.admin,
      body: { name: "Renamed with a trace" },
    });
    assert.equal(done.status, 200, done.text);
    assert.equal((await orgRow()).name, "Renamed with a trace");
    const after = await entries();
    assert.equal(after.length, entriesBefore + 1);
    const entry = after.find((e) => e.action === "organization.updated" && e.target_id === org.id);
    assert.ok(entry, "the committed change has no entry");
  });

  test("no secret or personal value reaches the audit log", async () => {
    const rows = await ctx.database.db.selectFrom("audit_log").selectAll().execute();
    assert.ok(rows.length > 20);
    const dump = JSON.stringify(rows);
    for (const secret of secrets)
      assert.ok(!dump.includes(secret), `the audit log holds ${secret.slice(0, 12)}…`);
    assert.ok(!dump.includes("fixture-key") && !dump.includes("fixture-secret"));
    assert.ok(!dump.includes("@"), "the audit log holds an email address");
    assert.ok(!dump.includes("aud_"), "the audit log holds an API token");
    // Nor does the API that lists it.
    const listed = await ctx.request("GET", "/api/v1/audit?limit=500", { token: org.tokens.admin });
    for (const secret of secrets) assert.ok(!listed.text.includes(secret));
    assert.ok(!listed.text.includes("@"));
  });

  test("admins read the log with filters and pages; viewers and marketers cannot; other organizations see none", async () => {
    for (const token of [org.tokens.viewer, org.tokens.marketer]) {
      const refused = await ctx.request("GET", "/api/v1/audit", { token });
      assert.equal(refused.status, 403, refused.text);
    }
    const all = (await entries()).reverse();
    const first = await ctx.request("GET", "/api/v1/audit?limit=2", { token: org.tokens.admin });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(
      first.body.data.map((e: { id: string }) => e.id),
      all.slice(0, 2).map((e) => e.id),
    );
    assert.ok(first.body.nextCursor);
    const second = await ctx.request("GET", `/api/v1/audit?limit=2&cursor=${first.body.nextCursor}`, {
      token: org.tokens.admin,
    });
    assert.deepEqual(
      second.body.data.map((e: { id: string }) => e.id),
      all.slice(2, 4).map((e) => e.id),
    );
    const entry = first.body.data[0];
    assert.equal(entry.actor.kind, "token");
    assert.equal(typeof entry.createdAt, "string");

    const added = await ctx.request("GET", "/api/v1/audit?action=member.invited", {
      token: org.tokens.admin,
    });
    assert.ok(added.body.data.length >= 1);
    assert.ok(added.body.data.every((e: { action: string }) => e.action === "member.invited"));
    const target = added.body.data[0].targetId as string;
    const byTarget = await ctx.request("GET", `/api/v1/audit?targetId=${target}`, {
      token: org.tokens.admin,
    });
    assert.ok(byTarget.body.data.every((e: { targetId: string }) => e.targetId === target));
    const byActor = await ctx.request("GET", `/api/v1/audit?actorUserId=${org.ownerId}&limit=500`, {
      token: org.tokens.admin,
    });
    // Everything but the invitees' own acceptances (member.joined, acted by the invitee).
    assert.equal(byActor.body.data.length, all.filter((e) => e.actor_user_id === org.ownerId).length);
    assert.ok(all.some((e) => e.action === "member.joined" && e.actor_user_id !== org.ownerId));

    // A time window: [since, until), by the entries' own instants.
    const times = all.map((e) => e.created_at.getTime()).sort((a, b) => a - b);
    const mid = new Date(times[Math.floor(times.length / 2)] ?? Date.now());
    const window = async (query: string) =>
      (await ctx.request("GET", `/api/v1/audit?${query}&limit=500`, { token: org.tokens.admin })).body.data
        .length as number;
    assert.equal(
      await window(`since=${encodeURIComponent(mid.toISOString())}`),
      all.filter((e) => e.created_at >= mid).length,
    );
    assert.equal(
      await window(`until=${encodeURIComponent(mid.toISOString())}`),
      all.filter((e) => e.created_at < mid).length,
    );
    const badTime = await ctx.request("GET", "/api/v1/audit?since=yesterday", { token: org.tokens.admin });
    assert.equal(badTime.status, 400, "query errors are 400, as every route answers them");
    assert.match(badTime.text, /since/);

    const other = await ctx.createOrg("Other org");
    const foreign = await ctx.request("GET", "/api/v1/audit", { token: other.tokens.owner });
    assert.deepEqual(foreign.body.data, []);
  });

  test("UPDATE and DELETE of audit entries fail in the database; only retention may delete", async () => {
    const { db } = ctx.database;
    const [row] = await entries();
    assert.ok(row);
    await assert.rejects(
      db.updateTable("audit_log").set({ action: "tampered" }).where("id", "=", row.id).execute(),
      /append-only/,
    );
    await assert.rejects(db.deleteFrom("audit_log").where("id", "=", row.id).execute(), /append-only/);
    await assert.rejects(sql`TRUNCATE audit_log`.execute(db), /append-only/);
    assert.equal((await entries()).find((e) => e.id === row.id)?.action, row.action);
    // The retention job's switch is transaction-local.
    await db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('auditorium.retention', 'on', true)`.execute(trx);
      await trx.deleteFrom("audit_log").where("id", "=", row.id).execute();
    });
    assert.equal(
      (await entries()).find((e) => e.id === row.id),
      undefined,
    );
    const [next] = await entries();
    assert.ok(next);
    await assert.rejects(db.deleteFrom("audit_log").where("id", "=", next.id).execute(), /append-only/);
  });
});
