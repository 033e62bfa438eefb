import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { before, test } from "node:test";
import { runKeysCommand } from "../../src/cli/keys.ts";
import { loadConfig } from "../../src/config/env.ts";
import { isKeyError, type LocalKeyring } from "../../src/keys/index.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { createRuntime } from "../../src/runtime.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { ON24_ACCOUNT, webinarSetup } from "../webinars/fixtures.ts";

/**
 * The rotation saga on the local keyring, through the real stored records: write under v1,
 * add v2, new writes use v2, rewrap moves the rest in bounded batches, v1 can be retired
 * only then, and every secret still decrypts. Plus start-up refusal when the keys are wrong.
 */
forEachBackend("key rotation", (ctx) => {
  let org: TestOrg;
  let configId: string;
  let keyring: LocalKeyring;
  const openAll = async () => {
    const loaded = await ctx.services.configurations.loadAccount(configId);
    assert.ok(loaded, "credentials decrypt");
    return Object.fromEntries(
      Object.entries(loaded.account.credentials).map(([k, v]) => [k, v.toString("utf8")]),
    );
  };

  before(async () => {
    org = await ctx.createOrg("rotation");
    ({ configId } = await webinarSetup(ctx, org));
    keyring = ctx.runtime.keyring as LocalKeyring;
  });

  test("write under v1 → add v2 → new writes use v2 → rewrap → retire v1 → everything decrypts", async () => {
    const usage0 = await ctx.runtime.secretRecords.usage();
    assert.deepEqual(
      usage0.map((u) => [u.keyVersion, u.records]),
      [[1, 3]],
    );
    const audited: [string, Record<string, string | number>][] = [];
    await runKeysCommand(
      { action: "rotate" },
      ctx.runtime,
      () => {},
      async (action, details) => {
        audited.push([action, details]);
      },
    );
    assert.deepEqual(
      audited,
      [
        ["keys.rotation_requested", { provider: "local" }],
        ["keys.rotated", { provider: "local", keyVersion: 2 }],
      ],
      "key operations reach the audit log",
    );
    const v2 = { keyVersion: (await keyring.current()).keyVersion };
    assert.equal(v2.keyVersion, 2);
    // A new write (one credential replaced) goes under v2 at once; the others stay on v1.
    await ctx.request("PATCH", `/api/v1/webinar-configurations/${configId}`, {
      token: org.tokens.admin,
      body: { credentials: { accessTokenKey: ON24_ACCOUNT.accessTokenKey } },
    });
    const usage1 = await ctx.runtime.secretRecords.usage();
    assert.deepEqual(usage1.map((u) => [u.keyVersion, u.records]).sort(), [
      [1, 2],
      [2, 1],
    ]);

    await assert.rejects(
      keyring.retire(1, {
        isInUse: (ref) => ctx.runtime.secretRecords.isInUse({ kekProvider: "local", ...ref }),
      }),
      (e: unknown) => isKeyError(e) && e.code === "version_in_use",
      "retiring a version still in use is refused",
    );

    const first = await ctx.runtime.secretRecords.rewrapBatch(1);
    assert.deepEqual(first, { moved: 1, remaining: 1 }, "bounded batches, resumable");
    const lines: string[] = [];
    await runKeysCommand({ action: "rewrap", batchSize: "1" }, ctx.runtime, (l) => lines.push(l));
    assert.match(lines.join("\n"), /rewrapped 1, 0 to go/);
    assert.deepEqual(
      (await ctx.runtime.secretRecords.usage()).map((u) => [u.keyVersion, u.records]),
      [[2, 3]],
    );

    await keyring.retire(1, {
      isInUse: (ref) => ctx.runtime.secretRecords.isInUse({ kekProvider: "local", ...ref }),
    });
    assert.deepEqual(await openAll(), ON24_ACCOUNT);
    const list: string[] = [];
    await runKeysCommand({ action: "list" }, ctx.runtime, (l) => list.push(l));
    assert.match(list.join("\n"), /version 1 retired/);
    assert.ok(!list.join("\n").includes(ON24_ACCOUNT.accessTokenSecret));
  });

  test("a key operation that dies inside the key service is already in the audit log", async () => {
    const audited: string[] = [];
    // The key service rotates, then the process dies before it could report back.
    const dying = Object.assign(Object.create(keyring), {
      rotate: async () => {
        throw new Error("process killed inside the key service");
      },
    });
    await assert.rejects(
      runKeysCommand(
        { action: "rotate" },
        { ...ctx.runtime, kek: dying },
        () => {},
        async (action) => {
          audited.push(action);
        },
      ),
      /process killed/,
    );
    assert.deepEqual(audited, ["keys.rotation_requested"], "the request was logged before the key service");
  });

  test("start-up refuses a keyring that cannot open the stored secrets, naming provider and key", async () => {
    const otherDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-wrong-keys-"));
    try {
      const config = loadConfig({ AUDITORIUM_DATA_DIR: ctx.dataDir, AUDITORIUM_KEYRING_DIR: otherDir });
      await assert.rejects(
        createRuntime({ config, database: ctx.database, logger: createLogger("silent") }),
        (e: unknown) => {
          assert.ok(isKeyError(e));
          assert.equal(e.code, "unknown_key");
          assert.match(e.message, new RegExp(`KEK provider "local", key "${keyring.keyringId}" version 2`));
          return true;
        },
      );
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  test("a required key setting that is missing stops start-up, naming it", () => {
    assert.throws(
      () =>
        loadConfig({
          AUDITORIUM_KEK_PROVIDER: "pkcs11",
          AUDITORIUM_PKCS11_MODULE: "/usr/lib/softhsm/libsofthsm2.so",
        }),
      /AUDITORIUM_PKCS11_TOKEN_LABEL, AUDITORIUM_PKCS11_PIN, AUDITORIUM_PKCS11_KEY_LABEL/,
    );
    assert.throws(
      () => loadConfig({ AUDITORIUM_KEK_PROVIDER: "azure-key-vault" }),
      /AUDITORIUM_AZURE_VAULT_URL/,
    );
  });
});
