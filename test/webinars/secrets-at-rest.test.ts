import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { buildApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { TestContext } from "../helpers/harness.ts";
import { webinarSetup } from "./fixtures.ts";

const SECRET = "S3cret-at-rest-0b8e7c1f";
const KEY = "Key-at-rest-5d2a9f3e";

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else yield p;
  }
}

/**
 * The embedded database on disk, the keyring and every API response after connecting an
 * account: the plaintext credentials appear in none of them, nor in the logs.
 */
test("no plaintext credential in the database files, the keyring, the logs or any API response", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-at-rest-"));
  const ctx = new TestContext();
  ctx.dataDir = dataDir;
  try {
    ctx.database = await openDatabase({ dataDir });
    await migrateToLatest(ctx.database.db);
    const sink = new Writable({
      write(chunk, _enc, cb) {
        ctx.logs.push(chunk.toString());
        cb();
      },
    });
    const config = loadConfig({
      AUDITORIUM_DATA_DIR: dataDir,
      AUDITORIUM_ON24_NA_URL: "http://127.0.0.1:9/v2",
      AUDITORIUM_LOG_LEVEL: "trace",
      // The outgoing webhook endpoint below points at loopback.
      AUDITORIUM_ALLOW_PRIVATE_HOSTS: "127.0.0.0/8",
    });
    const built = await buildApp({ config, database: ctx.database, logger: createLogger("trace", sink) });
    ctx.app = built.app;
    ctx.services = built.services;
    const org = await ctx.createOrg("at-rest");
    const responses: string[] = [];
    const record = async <T>(p: Promise<T & { text: string }>) => {
      const r = await p;
      responses.push(r.text);
      return r;
    };
    const { configId } = await webinarSetup(ctx, org);
    await record(
      ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
        token: org.tokens.admin,
        body: { credentials: { accessTokenKey: KEY, accessTokenSecret: SECRET } },
      }),
    );
    await record(
      ctx.request("GET", `/api/v1/webinar-configurations/${configId}`, { token: org.tokens.admin }),
    );
    await record(ctx.request("GET", "/api/v1/webinar-configurations", { token: org.tokens.viewer }));
    await record(
      ctx.request("POST", `/api/v1/webinar-configurations/${configId}/check`, { token: org.tokens.admin }),
    );
    await record(
      ctx.request("GET", `/api/v1/webinar-configurations/${configId}/issues`, { token: org.tokens.admin }),
    );
    await record(ctx.request("GET", "/openapi.json"));
    // An outgoing webhook signing secret: in the answer that creates it, and nowhere else.
    const endpoint = await ctx.request("POST", "/api/v1/webhook-endpoints", {
      token: org.tokens.admin,
      body: { url: "http://127.0.0.1:9/hooks", eventTypes: ["registration.created"] },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    const WEBHOOK_SECRET = (endpoint.body.secret as string).slice("whsec_".length);
    await record(
      ctx.request("GET", `/api/v1/webhook-endpoints/${endpoint.body.id}`, { token: org.tokens.admin }),
    );
    await record(ctx.request("GET", "/api/v1/webhook-endpoints", { token: org.tokens.admin }));
    const stored = await ctx.database.db.selectFrom("webinar_secrets").select(["field", "record"]).execute();
    assert.equal(stored.length, 3);
    await ctx.app.close();
    await ctx.database.close();

    let scanned = 0;
    for await (const file of files(dataDir)) {
      if (!(await stat(file)).isFile()) continue;
      const bytes = await readFile(file);
      scanned += bytes.length;
      for (const plain of [SECRET, KEY, WEBHOOK_SECRET]) {
        assert.equal(
          bytes.indexOf(Buffer.from(plain)),
          -1,
          `${plain} found in ${path.relative(dataDir, file)}`,
        );
        assert.equal(bytes.indexOf(Buffer.from(plain, "utf16le")), -1, `${plain} (UTF-16) found in ${file}`);
      }
    }
    assert.ok(scanned > 1_000_000, "the database files were written to disk and scanned");
    for (const text of [...responses, ctx.logs.join("")]) {
      assert.ok(!text.includes(SECRET) && !text.includes(KEY) && !text.includes(WEBHOOK_SECRET));
    }
    assert.ok(ctx.logs.length > 0);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
