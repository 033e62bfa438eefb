import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp, type Services } from "../../src/app.ts";
import { loadConfig } from "../../src/config/env.ts";
import { type DatabaseHandle, openDatabase } from "../../src/db/database.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import type { Role } from "../../src/db/schema.ts";
import { uuidv7 } from "../../src/lib/ids.ts";
import { createLogger } from "../../src/lib/logger.ts";
import type { Runtime } from "../../src/runtime.ts";
import { createMigratedServerDatabase, dropServerDatabase, openMigratedPglite } from "./migrated-template.ts";
import { RecordedNotices } from "./notices.ts";

/**
 * Runs a suite on every backend: embedded PGlite always, and server PostgreSQL when
 * TEST_DATABASE_URL is set (as in CI). Each suite gets a database of its own, created and
 * dropped here, so test files never collide on the shared server.
 */
export interface Backend {
  name: "pglite" | "postgres";
  open(): Promise<{ database: DatabaseHandle; drop(): Promise<void> }>;
}

export function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: "pglite",
      async open() {
        const database = await openMigratedPglite();
        return { database, drop: async () => {} };
      },
    },
  ];
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    list.push({
      name: "postgres",
      async open() {
        const name = `auditorium_t_${uuidv7().replace(/-/g, "").slice(-16)}`;
        const url = await createMigratedServerDatabase(serverUrl, name);
        const database = await openDatabase({ databaseUrl: url, poolSize: 5 });
        return { database, drop: () => dropServerDatabase(serverUrl, name) };
      },
    });
  }
  return list;
}

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface TestOrg {
  id: string;
  ownerId: string;
  tokens: Record<Role, string>;
}

export class TestContext {
  app!: FastifyInstance;
  services!: Services;
  runtime!: Runtime;
  database!: DatabaseHandle;
  /** The suite's data folder (its keyring lives in `keys/` below it). */
  dataDir = "";
  /** Everything the app logged, for tests that look for leaks. */
  logs: string[] = [];
  /** What registrants were told (their page and confirmation links travel only there). */
  notices = new RecordedNotices();

  async request<T = any>(
    method: string,
    url: string,
    options: {
      token?: string;
      body?: unknown;
      headers?: Record<string, string>;
      cookie?: string;
      raw?: string | Buffer;
      /** The client address the app sees (fastify inject's `remoteAddress`). */
      remoteAddress?: string;
    } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await this.app.inject({
      method: method as "GET",
      url,
      headers,
      ...(payload !== undefined && { payload }),
      ...(options.remoteAddress !== undefined && { remoteAddress: options.remoteAddress }),
    });
    let body: unknown = res.body;
    if ((res.headers["content-type"] ?? "").toString().includes("json") && res.body)
      body = JSON.parse(res.body);
    return {
      status: res.statusCode,
      body: body as T,
      headers: res.headers as Response["headers"],
      text: res.body,
    };
  }

  /** An organization with an owner and one API token per role. */
  async createOrg(name = "Org"): Promise<TestOrg> {
    const { db } = this.database;
    const id = uuidv7();
    const ownerId = uuidv7();
    await db.insertInto("organizations").values({ id, name }).execute();
    await db
      .insertInto("users")
      .values({ id: ownerId, email: `owner-${ownerId}@example.com`, name: "Owner" })
      .execute();
    await db
      .insertInto("memberships")
      .values({ organization_id: id, user_id: ownerId, role: "owner" })
      .execute();
    const caller = { userId: ownerId, organizationId: id, role: "owner" as const, via: "token" as const };
    const tokens = {} as Record<Role, string>;
    for (const role of ["owner", "admin", "marketer", "viewer"] as const) {
      tokens[role] = (await this.services.tokens.create(caller, { name: role, role })).token;
    }
    return { id, ownerId, tokens };
  }
}

/** Declares a suite once per backend; `body` registers the tests with a ready context. */
export function forEachBackend(
  title: string,
  body: (ctx: TestContext, backend: Backend["name"]) => void,
  options: { only?: Backend["name"] } = {},
) {
  const chosen = backends().filter((b) => !options.only || b.name === options.only);
  // A file with no test never runs its top-level `after` hooks, and a simulator it started
  // would keep the process (and the run) alive: say why the suite did not run instead.
  if (chosen.length === 0)
    describe(title, () =>
      test("needs server PostgreSQL", { skip: "TEST_DATABASE_URL is not set" }, () => {}),
    );
  for (const backend of chosen) {
    describe(`${title} [${backend.name}]`, () => {
      const ctx = new TestContext();
      let drop: () => Promise<void> = async () => {};
      let dataDir: string | undefined;
      before(async () => {
        const opened = await backend.open();
        drop = opened.drop;
        ctx.database = opened.database;
        await migrateToLatest(ctx.database.db);
        const sink = new Writable({
          write(chunk, _enc, cb) {
            ctx.logs.push(chunk.toString());
            cb();
          },
        });
        dataDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-test-"));
        ctx.dataDir = dataDir;
        const config = loadConfig({
          AUDITORIUM_PUBLIC_RATE_LIMIT: "1000",
          // The simulators listen on loopback; production allows no private host by default.
          AUDITORIUM_ALLOW_PRIVATE_HOSTS: TEST_ALLOW_PRIVATE_HOSTS,
          AUDITORIUM_SYNC_RETRY_MAX_SECONDS: TEST_SYNC_RETRY_MAX_SECONDS,
          AUDITORIUM_DATA_DIR: dataDir,
          ...testEnv,
        });
        const built = await buildApp({
          config,
          database: ctx.database,
          logger: createLogger("info", sink),
          alsoNotify: ctx.notices,
        });
        ctx.app = built.app;
        ctx.services = built.services;
        ctx.runtime = built.runtime;
        await ctx.app.ready();
      });
      after(async () => {
        await ctx.app?.close();
        await ctx.database?.close();
        await drop();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
      });
      body(ctx, backend.name);
    });
  }
}

/** What tests allow the outbound guard to reach: the simulators on loopback. */
export const TEST_ALLOW_PRIVATE_HOSTS = "127.0.0.0/8,::1,localhost";

/**
 * The sync back-off's cap in tests (production: 300 s). The fault tests fail a fifth of the
 * provider calls or more, and a job that fails six times in a row waited up to two minutes
 * under the production doubling (seen: 109 s of one test's 115). What those tests show —
 * every registration once, none lost — does not depend on how long the waits are; the
 * doubling and the cap themselves are unit-tested (src/lib/backoff.test.ts).
 */
export const TEST_SYNC_RETRY_MAX_SECONDS = "4";

/** Environment overrides a suite can set before its `forEachBackend` call. */
export const testEnv: Record<string, string> = {};
