import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { runKeysCommand } from "../../src/cli/keys.ts";
import { loadConfig } from "../../src/config/env.ts";
import { createEnvelope, type Envelope, isKeyError, openLocalKeyring } from "../../src/keys/index.ts";
import {
  clientStateContext,
  consentVerifierContext,
  erasureEmailContext,
  organizerRefreshTokenContext,
  SEALED_COLUMNS,
  type SealedColumn,
} from "../../src/keys/sealed-columns.ts";
import { uuidv7 } from "../../src/lib/ids.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { createRuntime } from "../../src/runtime.ts";
import { forEachBackend, type TestContext, testEnv } from "../helpers/harness.ts";
import {
  ON24_ACCOUNT,
  type Simulator,
  startSimulator,
  webinarIdOf,
  webinarSetup,
} from "../webinars/fixtures.ts";

const sim: Simulator = await startSimulator();
testEnv.AUDITORIUM_ON24_NA_URL = sim.baseUrls.NA;
testEnv.AUDITORIUM_ON24_EU_URL = sim.baseUrls.EU;
after(() => sim.close());

const ERASED_EMAIL = "erased.person@example.com";
const CLIENT_STATE = "client-state-shared-with-graph";
const REFRESH_TOKEN = "organizer-refresh-token";
const CODE_VERIFIER = "organizer-pkce-code-verifier";
const nameOf = (c: { table: string; column: string }) => `${c.table}.${c.column}`;

/** Every column of every table (not only the registry's) that holds something shaped like a sealed record. */
async function columnsHoldingSealedRecords(ctx: TestContext): Promise<string[]> {
  const { rows: columns } = await sql<{ table: string; column: string }>`
    SELECT c.table_name AS "table", c.column_name AS "column"
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND c.data_type IN ('json', 'jsonb', 'text', 'character varying')`.execute(ctx.database.db);
  const found: string[] = [];
  for (const c of columns) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(c.table)}
      WHERE ${sql.ref(c.column)}::text LIKE '%"wrappedKey"%'`.execute(ctx.database.db);
    if (Number(rows[0]?.n) > 0) found.push(nameOf(c));
  }
  return found.sort();
}

/** Records per key version in one sealed column. */
async function versionsIn(ctx: TestContext, c: SealedColumn) {
  const { rows } = await sql<{ version: number; n: number }>`
    SELECT (${sql.ref(c.column)}->>'keyVersion')::int AS version, count(*)::int AS n
    FROM ${sql.table(c.table)} WHERE ${sql.ref(c.column)} IS NOT NULL
    GROUP BY 1 ORDER BY 1`.execute(ctx.database.db);
  return Object.fromEntries(rows.map((r) => [Number(r.version), Number(r.n)]));
}

/** Opens every sealed value of every registry column with `envelope`, as plaintext strings. */
async function openEverything(ctx: TestContext, envelope: Envelope) {
  const opened: string[] = [];
  for (const c of SEALED_COLUMNS) {
    const cols = [...new Set([...c.key, ...c.contextColumns])];
    const { rows } = await sql<Record<string, string> & { record: unknown }>`
      SELECT ${sql.join(cols.map((k) => sql`${sql.ref(k)}::text AS ${sql.ref(k)}`))}, ${sql.ref(c.column)} AS record
      FROM ${sql.table(c.table)} WHERE ${sql.ref(c.column)} IS NOT NULL`.execute(ctx.database.db);
    for (const row of rows) {
      const plain = await envelope.open(row.record, c.context(row));
      opened.push(`${c.table}:${plain.toString("utf8")}`);
      plain.fill(0);
    }
  }
  return opened.sort();
}

/**
 * Key management covers every sealed column, not only webinar credentials: erasure
 * addresses, webhook clientStates and outgoing webhook secrets are rewrapped, counted before a retire, and checked at
 * start-up, through the one registry (src/keys/sealed-columns.ts).
 */
forEachBackend("sealed columns under key management", (ctx) => {
  let orgId: string;
  let configId: string;
  let erasureRowId: string;
  let webhookSecret: string;
  const restartedRuntime = () =>
    createRuntime({
      config: loadConfig({ AUDITORIUM_DATA_DIR: ctx.dataDir, ...testEnv }),
      database: ctx.database,
      logger: createLogger("silent"),
    });

  /** A provider erasure row whose address is sealed by `envelope` (the app's unless given). */
  async function sealErasure(envelope: Envelope = ctx.runtime.envelope) {
    const erasureId = uuidv7();
    await ctx.database.db.insertInto("erasures").values({ id: erasureId, organization_id: orgId }).execute();
    const row = { id: uuidv7(), organization_id: orgId, configuration_id: configId };
    const sealed = await envelope.seal(Buffer.from(ERASED_EMAIL), erasureEmailContext(row));
    await ctx.database.db
      .insertInto("provider_erasures")
      .values({
        ...row,
        erasure_id: erasureId,
        provider: "on24",
        sealed_email: JSON.stringify(sealed),
        last_error: null,
        lease_until: null,
        last_attempt_at: null,
        alerted_at: null,
        completed_at: null,
        updated_at: new Date(),
      })
      .execute();
    return row.id;
  }

  before(async () => {
    const org = await ctx.createOrg("sealed-columns");
    orgId = org.id;
    let eventId: string;
    ({ configId, eventId } = await webinarSetup(ctx, org));
    erasureRowId = await sealErasure();
    // An erasure the provider confirmed: its address is wiped (null), nothing to rewrap.
    const wiped = await sealErasure();
    await ctx.database.db
      .updateTable("provider_erasures")
      .set({ sealed_email: null, state: "done" })
      .where("id", "=", wiped)
      .execute();
    const sub = {
      webinar_id: await webinarIdOf(ctx, eventId),
      organization_id: orgId,
      configuration_id: configId,
    };
    const clientState = await ctx.runtime.envelope.seal(Buffer.from(CLIENT_STATE), clientStateContext(sub));
    await ctx.database.db
      .insertInto("webhook_subscriptions")
      .values({ ...sub, client_state: JSON.stringify(clientState), updated_at: new Date() })
      .execute();
    // A Teams organizer's consent: the refresh token and a started request's PKCE verifier.
    const grant = { organization_id: orgId, configuration_id: configId };
    const refresh = await ctx.runtime.envelope.seal(
      Buffer.from(REFRESH_TOKEN),
      organizerRefreshTokenContext(grant),
    );
    await ctx.database.db
      .insertInto("organizer_grants")
      .values({
        ...grant,
        refresh_token: JSON.stringify(refresh),
        organizer_user_id: "organizer",
        scope: "s",
      })
      .execute();
    const request = { id: uuidv7(), organization_id: orgId, configuration_id: configId };
    const verifier = await ctx.runtime.envelope.seal(
      Buffer.from(CODE_VERIFIER),
      consentVerifierContext(request),
    );
    await ctx.database.db
      .insertInto("organizer_consent_requests")
      .values({
        ...request,
        state_hash: `state-${request.id}`,
        binding_hash: "binding",
        user_id: org.ownerId,
        session_hash: "session",
        code_verifier: JSON.stringify(verifier),
        redirect_uri: "http://localhost/callback",
        expires_at: new Date(Date.now() + 600_000),
      })
      .execute();
    // An outgoing webhook endpoint's signing secret (webhooks-out).
    const endpoint = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: { url: "http://127.0.0.1:9/hooks", eventTypes: ["webinar.ended"] },
    });
    webhookSecret = endpoint.body.secret;
  });

  const everyValue = () =>
    [
      `provider_erasures:${ERASED_EMAIL}`,
      ...Object.values(ON24_ACCOUNT).map((v) => `webinar_secrets:${v}`),
      `webhook_subscriptions:${CLIENT_STATE}`,
      `organizer_grants:${REFRESH_TOKEN}`,
      `organizer_consent_requests:${CODE_VERIFIER}`,
      `webhook_endpoint_secrets:${webhookSecret}`,
    ].sort();

  test("every sealed column is in the registry: the sealed_record columns, and every column holding a sealed record", async () => {
    const { rows } = await sql<{ table: string; column: string }>`
      SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
      WHERE table_schema = current_schema() AND domain_name = 'sealed_record'`.execute(ctx.database.db);
    const registry = SEALED_COLUMNS.map(nameOf).sort();
    assert.deepEqual(rows.map(nameOf).sort(), registry);
    assert.deepEqual(await columnsHoldingSealedRecords(ctx), registry);
  });

  test("a sealed column refuses a value that is not a sealed record", async () => {
    await assert.rejects(
      sql`UPDATE provider_erasures SET sealed_email = '"plain@example.com"' WHERE id = ${erasureRowId}`.execute(
        ctx.database.db,
      ),
      /sealed_record/,
    );
  });

  test("keys list counts every sealed column; retire is refused while any of them still uses the version", async () => {
    assert.deepEqual(
      (await ctx.runtime.secretRecords.usage()).map((u) => [u.keyVersion, u.records]),
      [[1, 8]],
    );
    await runKeysCommand({ action: "rotate" }, ctx.runtime, () => {});
    // The webinar credentials come first in the registry: a batch of three moves only them.
    assert.deepEqual(await ctx.runtime.secretRecords.rewrapBatch(3), { moved: 3, remaining: 5 });
    await assert.rejects(
      runKeysCommand({ action: "retire", version: "1" }, ctx.runtime, () => {}),
      (e: unknown) => isKeyError(e) && e.code === "version_in_use",
    );
  });

  test("after a rewrap no record anywhere is on the old version; retire it, restart, and every value opens", async () => {
    const lines: string[] = [];
    await runKeysCommand({ action: "rewrap", batchSize: "1" }, ctx.runtime, (l) => lines.push(l));
    assert.match(lines.join("\n"), /0 to go/);
    for (const c of SEALED_COLUMNS)
      assert.deepEqual(Object.keys(await versionsIn(ctx, c)), ["2"], `${nameOf(c)} is all on version 2`);
    assert.deepEqual(
      (await ctx.runtime.secretRecords.usage()).map((u) => [u.keyVersion, u.records]),
      [[2, 8]],
    );

    await runKeysCommand({ action: "retire", version: "1" }, ctx.runtime, () => {});
    const restarted = await restartedRuntime();
    try {
      assert.deepEqual(await openEverything(ctx, restarted.envelope), everyValue());
    } finally {
      await restarted.close();
    }
  });

  test("start-up refuses an erasure address the configured keys cannot open, naming the column", async () => {
    const otherDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-other-keys-"));
    const other = await openLocalKeyring({ dir: otherDir });
    const foreign = await sealErasure(createEnvelope({ kek: other }));
    try {
      await assert.rejects(restartedRuntime(), (e: unknown) => {
        assert.ok(isKeyError(e), String(e));
        assert.equal(e.code, "unknown_key");
        assert.match(e.message, /provider_erasures\.sealed_email/);
        assert.match(e.message, new RegExp(`key "${other.keyringId}" version 1`));
        return true;
      });
    } finally {
      await ctx.database.db.deleteFrom("provider_erasures").where("id", "=", foreign).execute();
      other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
    const restarted = await restartedRuntime();
    await restarted.close();
  });
});
