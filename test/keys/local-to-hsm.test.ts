import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { loadConfig } from "../../src/config/env.ts";
import { isKeyError } from "../../src/keys/index.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { createConfigurationService } from "../../src/modules/webinars/configurations.service.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";
import { ON24_ACCOUNT, webinarSetup } from "../webinars/fixtures.ts";
import { createSoftHsmToken, type SoftHsmToken } from "./softhsm.ts";

// SoftHSM2 reads its token folder at C_Initialize: make every token before the first open.
const tokens: SoftHsmToken[] = [
  await createSoftHsmToken({ label: "migrate-a" }),
  await createSoftHsmToken({ label: "migrate-b" }),
];
after(async () => {
  for (const t of tokens) await t.cleanup();
});

/**
 * Moving from the local keyring to an HSM is the same rewrap as a rotation: the process is
 * configured with the HSM as the writing provider, the keyring stays readable, records move
 * in batches, and afterwards the keyring is no longer needed.
 */
forEachBackend("local keyring → PKCS#11 HSM", (ctx, backend) => {
  let org: TestOrg;
  let configId: string;
  let hsm: Runtime | undefined;
  const token = backend === "pglite" ? (tokens[0] as SoftHsmToken) : (tokens[1] as SoftHsmToken);
  const hsmEnv = (keyringDir: string) => ({
    AUDITORIUM_DATA_DIR: ctx.dataDir,
    AUDITORIUM_KEYRING_DIR: keyringDir,
    AUDITORIUM_KEK_PROVIDER: "pkcs11",
    AUDITORIUM_PKCS11_MODULE: token.modulePath,
    AUDITORIUM_PKCS11_TOKEN_LABEL: token.tokenLabel,
    AUDITORIUM_PKCS11_PIN: token.pin,
    AUDITORIUM_PKCS11_KEY_LABEL: "auditorium-kek",
  });

  before(async () => {
    org = await ctx.createOrg("migrate");
    ({ configId } = await webinarSetup(ctx, org));
  });
  after(async () => {
    await hsm?.close();
  });

  test("records move from the keyring to the HSM by rewrap, and still decrypt there", async () => {
    const keyringDir = path.join(ctx.dataDir, "keys");
    hsm = await createRuntime({
      config: loadConfig(hsmEnv(keyringDir)),
      database: ctx.database,
      logger: createLogger("silent"),
    });
    assert.equal(hsm.kek.provider, "pkcs11");
    assert.deepEqual(
      (await hsm.secretRecords.usage()).map((u) => u.kekProvider),
      ["local"],
    );
    let batches = 0;
    for (;;) {
      const { moved, remaining } = await hsm.secretRecords.rewrapBatch(2);
      batches += 1;
      if (remaining === 0 || moved === 0) break;
    }
    assert.equal(batches, 2, "3 records in batches of 2");
    const usage = await hsm.secretRecords.usage();
    assert.deepEqual(
      usage.map((u) => [u.kekProvider, u.keyId, u.keyVersion, u.records]),
      [["pkcs11", "auditorium-kek", 1, 3]],
    );
    const configurations = createConfigurationService({
      db: ctx.database.db,
      envelope: hsm.envelope,
      gate: hsm.gate,
      queue: hsm.queue,
    });
    const loaded = await configurations.loadAccount(configId);
    assert.ok(loaded);
    assert.deepEqual(
      Object.fromEntries(Object.entries(loaded.account.credentials).map(([k, v]) => [k, v.toString("utf8")])),
      ON24_ACCOUNT,
    );
  });

  test("after the move the keyring is not needed; an HSM without the key is refused at start-up", async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), "auditorium-no-keyring-"));
    try {
      const again = await createRuntime({
        config: loadConfig(hsmEnv(empty)),
        database: ctx.database,
        logger: createLogger("silent"),
      });
      assert.equal(again.keyring, null, "no keyring file: none is created when another provider writes");
      await again.close();
      const wrongKey = { ...hsmEnv(empty), AUDITORIUM_PKCS11_KEY_LABEL: "some-other-key" };
      await assert.rejects(
        createRuntime({
          config: loadConfig(wrongKey),
          database: ctx.database,
          logger: createLogger("silent"),
        }),
        (e: unknown) =>
          isKeyError(e) && /KEK provider "pkcs11", key "auditorium-kek" version 1/.test(e.message),
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
