import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { inspect } from "node:util";
import pkcs11js from "pkcs11js";
import { createEnvelope, type SealedRecord } from "../../src/keys/envelope.ts";
import type { KekRef } from "../../src/keys/kek.ts";
import { KeyError, type KeyErrorCode } from "../../src/keys/key-error.ts";
import { openPkcs11Kek, type Pkcs11Kek } from "../../src/keys/pkcs11-kek.ts";
import { createSoftHsmToken, type SoftHsmToken } from "./softhsm.ts";

const P = pkcs11js;
const ctx = { organizationId: "org_1", configurationId: "cfg_1", field: "accessTokenSecret" };
const secret = Buffer.from("on24-secret-7c1e2f-plaintext-marker", "utf8");

let tok: SoftHsmToken;
/** Never logged into by any provider: a wrong PIN reaches C_Login itself. */
let fresh: SoftHsmToken;
let n = 0;
const label = () => `kek-${++n}`;
const opened: Pkcs11Kek[] = [];

async function open(extra: Partial<Parameters<typeof openPkcs11Kek>[0]> = {}): Promise<Pkcs11Kek> {
  const kek = await openPkcs11Kek({
    modulePath: tok.modulePath,
    tokenLabel: tok.tokenLabel,
    pin: tok.pin,
    keyLabel: label(),
    ...extra,
  });
  opened.push(kek);
  return kek;
}

async function rejectsKey(
  p: Promise<unknown>,
  code: KeyErrorCode,
  mentions: string[] = [],
): Promise<KeyError> {
  const e = await p.then(
    () => assert.fail("expected a KeyError"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof KeyError, `expected KeyError, got ${inspect(e)}`);
  assert.equal(e.code, code, e.message);
  for (const m of mentions) assert.ok(e.message.includes(m), `"${e.message}" should name ${m}`);
  return e;
}

const flipBit = (b64: string, bit: number): string => {
  const b = Buffer.from(b64, "base64");
  b[bit >> 3] = (b[bit >> 3] as number) ^ (1 << (bit & 7));
  return b.toString("base64");
};

/** A raw session of our own on the test token, to look at the objects the provider made. */
function rawSession(t: SoftHsmToken) {
  const p11 = new P.PKCS11();
  p11.load(t.modulePath);
  try {
    p11.C_Initialize();
  } catch (e) {
    if (!String((e as Error).message).startsWith("CKR_CRYPTOKI_ALREADY_INITIALIZED")) throw e;
  }
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === t.tokenLabel);
  assert.ok(slot, "test token must be visible");
  const session = p11.C_OpenSession(slot, P.CKF_SERIAL_SESSION);
  try {
    p11.C_Login(session, P.CKU_USER, t.pin);
  } catch (e) {
    if (!String((e as Error).message).startsWith("CKR_USER_ALREADY_LOGGED_IN")) throw e;
  }
  const findByLabel = (l: string) => {
    p11.C_FindObjectsInit(session, [{ type: P.CKA_LABEL, value: l }]);
    const found = p11.C_FindObjects(session, 10);
    p11.C_FindObjectsFinal(session);
    return found;
  };
  return {
    p11,
    slot,
    session,
    findByLabel,
    // Only our session: no C_Logout / C_Finalize, which would pull the rug from the providers.
    close: () => p11.C_CloseSession(session),
  };
}

before(async () => {
  tok = await createSoftHsmToken();
  fresh = await createSoftHsmToken();
});

after(async () => {
  for (const k of opened) await k.close();
  await tok?.cleanup();
  await fresh?.cleanup();
});

describe("SoftHSM2 is present (CI installs it; a missing one fails, never skips)", () => {
  test("the module and softhsm2-util were found", async () => {
    await access(tok.modulePath);
    assert.ok(tok.tokenLabel.length > 0);
  });
});

describe("wrap and unwrap inside the token", () => {
  test("round trip through createEnvelope: seal → open, record names pkcs11/keyLabel/v1", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const record = await env.seal(secret, ctx);
    assert.equal(record.kekProvider, "pkcs11");
    assert.equal(record.keyId, kek.keyLabel);
    assert.equal(record.keyVersion, 1);
    assert.equal(Buffer.from(record.wrappedKey, "base64").length, 12 + 32 + 16);
    assert.ok(!JSON.stringify(record).includes(secret.toString("base64")));
    assert.deepEqual(await env.open(record, ctx), secret);
    assert.deepEqual(await kek.current(), { keyId: kek.keyLabel, keyVersion: 1 });
  });

  test("two wraps of the same data key differ (fresh IV), both unwrap", async () => {
    const kek = await open();
    const ref = await kek.current();
    const dk = Buffer.alloc(32, 9);
    const aad = Buffer.from("aad");
    const [a, b] = [await kek.wrap(ref, dk, aad), await kek.wrap(ref, dk, aad)];
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a.subarray(0, 12), b.subarray(0, 12));
    assert.deepEqual(await kek.unwrap(ref, a, aad), dk);
    assert.deepEqual(await kek.unwrap(ref, b, aad), dk);
  });

  test("the KEK is a sensitive, non-extractable AES-256 token key: CKA_VALUE cannot be read", async () => {
    const kek = await open();
    const raw = rawSession(tok);
    try {
      const [handle, ...more] = raw.findByLabel(`${kek.keyLabel}:v1`);
      assert.ok(handle);
      assert.equal(more.length, 0);
      assert.throws(
        () => raw.p11.C_GetAttributeValue(raw.session, handle, [{ type: P.CKA_VALUE }]),
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
      const [extractable, sensitive, token, len, keyType, id] = raw.p11.C_GetAttributeValue(
        raw.session,
        handle,
        [
          { type: P.CKA_EXTRACTABLE },
          { type: P.CKA_SENSITIVE },
          { type: P.CKA_TOKEN },
          { type: P.CKA_VALUE_LEN },
          { type: P.CKA_KEY_TYPE },
          { type: P.CKA_ID },
        ],
      );
      assert.equal(extractable?.value[0], 0);
      assert.equal(sensitive?.value[0], 1);
      assert.equal(token?.value[0], 1);
      assert.equal(len?.value.readUInt32LE(0), 32);
      assert.equal(keyType?.value.readUInt32LE(0), P.CKK_AES);
      assert.equal(id?.value.toString("utf8"), `${kek.keyLabel}:v1`);
      // Neither flag can be turned back (PKCS#11: EXTRACTABLE only true→false, SENSITIVE false→true).
      assert.throws(
        () => raw.p11.C_SetAttributeValue(raw.session, handle, [{ type: P.CKA_EXTRACTABLE, value: true }]),
        /CKR_/,
      );
      assert.throws(
        () => raw.p11.C_SetAttributeValue(raw.session, handle, [{ type: P.CKA_SENSITIVE, value: false }]),
        /CKR_/,
      );
    } finally {
      raw.close();
    }
  });

  test("every single-bit flip of the wrapped key → decryption_failed (provider level)", async () => {
    const kek = await open();
    const ref = await kek.current();
    const dk = Buffer.alloc(32, 7);
    const aad = Buffer.from("bound");
    const wrapped = await kek.wrap(ref, dk, aad);
    for (let bit = 0; bit < wrapped.length * 8; bit++) {
      const bad = Buffer.from(wrapped);
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
      await rejectsKey(kek.unwrap(ref, bad, aad), "decryption_failed");
    }
    await rejectsKey(kek.unwrap(ref, wrapped.subarray(0, 59), aad), "decryption_failed");
    await rejectsKey(kek.unwrap(ref, Buffer.concat([wrapped, Buffer.alloc(1)]), aad), "decryption_failed");
    await rejectsKey(kek.unwrap(ref, Buffer.alloc(0), aad), "decryption_failed");
    await rejectsKey(kek.unwrap(ref, wrapped, Buffer.from("other")), "decryption_failed");
    // The session is still healthy after all those failures.
    assert.deepEqual(await kek.unwrap(ref, wrapped, aad), dk);
  });

  test("every single-bit flip of a record's wrappedKey, nonce, ciphertext and tag → KeyError", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const record = await env.seal(secret, ctx);
    for (const field of ["wrappedKey", "nonce", "ciphertext", "tag"] as const) {
      const bits = Buffer.from(record[field], "base64").length * 8;
      for (let bit = 0; bit < bits; bit++) {
        const bad: SealedRecord = { ...record, [field]: flipBit(record[field], bit) };
        await rejectsKey(env.open(bad, ctx), "decryption_failed");
      }
    }
    assert.deepEqual(await env.open(record, ctx), secret);
  });

  test("the record's keyId and keyVersion are bound: relabelled records do not open", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const record = await env.seal(secret, ctx);
    await kek.rotate();
    await rejectsKey(env.open({ ...record, keyVersion: 2 }, ctx), "decryption_failed");
    await rejectsKey(env.open({ ...record, keyVersion: 99 }, ctx), "unknown_key", [kek.keyLabel, "99"]);
    await rejectsKey(env.open({ ...record, keyId: "someone-else" }, ctx), "unknown_key", ["someone-else"]);
    assert.deepEqual(await env.open(record, ctx), secret);
  });

  test("another organization, configuration or field does not open", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const record = await env.seal(secret, ctx);
    for (const other of [
      { ...ctx, organizationId: "org_2" },
      { ...ctx, configurationId: "cfg_2" },
      { ...ctx, field: "clientId" },
    ]) {
      await rejectsKey(env.open(record, other), "decryption_failed");
    }
  });

  test("the same key label on another token does not open (authentication, not garbage)", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const record = await env.seal(secret, ctx);
    const other = await openPkcs11Kek({
      modulePath: fresh.modulePath,
      tokenLabel: fresh.tokenLabel,
      pin: fresh.pin,
      keyLabel: kek.keyLabel,
    });
    opened.push(other);
    await rejectsKey(createEnvelope({ kek: other }).open(record, ctx), "decryption_failed");
  });

  test("50 concurrent seals all succeed and all open", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const plain = Array.from({ length: 50 }, (_, i) => Buffer.from(`secret-${i}`));
    const records = await Promise.all(plain.map((p, i) => env.seal(p, { ...ctx, field: `f${i}` })));
    assert.equal(new Set(records.map((r) => r.wrappedKey)).size, 50);
    const back = await Promise.all(records.map((r, i) => env.open(r, { ...ctx, field: `f${i}` })));
    assert.deepEqual(back, plain);
  });

  test("a data key that is not 32 bytes is refused before reaching the token", async () => {
    const kek = await open();
    await assert.rejects(kek.wrap(await kek.current(), Buffer.alloc(16), Buffer.alloc(0)), RangeError);
  });
});

describe("versions, rotation and retirement", () => {
  test("rotation saga: v1 → rotate → new writes on v2 → retire refused → records moved → retire v1", async () => {
    const kek = await open();
    const env = createEnvelope({ kek });
    const contexts = [0, 1, 2].map((i) => ({ ...ctx, configurationId: `cfg_${i}` }));
    const store = new Map<string, SealedRecord>();
    for (const c of contexts) store.set(c.configurationId, await env.seal(secret, c));
    const v1Copy = store.get("cfg_0") as SealedRecord;
    assert.ok([...store.values()].every((r) => r.keyVersion === 1));

    const rotated = await kek.rotate();
    assert.equal(rotated.keyVersion, 2);
    assert.equal(rotated.current, true);
    assert.deepEqual(await kek.current(), { keyId: kek.keyLabel, keyVersion: 2 });
    const newer = await env.seal(secret, { ...ctx, configurationId: "cfg_new" });
    assert.equal(newer.keyVersion, 2);
    store.set("cfg_new", newer);
    // Old records still open under v1.
    for (const c of contexts) assert.deepEqual(await env.open(store.get(c.configurationId), c), secret);

    // Another process (a second provider on the same token) sees the rotation: state is in the token.
    const twin = await open({ keyLabel: kek.keyLabel });
    assert.deepEqual(await twin.current(), { keyId: kek.keyLabel, keyVersion: 2 });

    const isInUse = async (ref: KekRef) =>
      [...store.values()].some((r) => r.keyId === ref.keyId && r.keyVersion === ref.keyVersion);
    await rejectsKey(kek.retire(1, { isInUse }), "version_in_use", ["1", kek.keyLabel]);
    await rejectsKey(kek.retire(2, { isInUse: async () => false }), "version_in_use", ["current"]);
    await rejectsKey(kek.retire(7, { isInUse }), "unknown_key", ["7"]);

    // Move every record to v2 without decrypting the secret: same nonce and ciphertext.
    for (const c of contexts) {
      const r = store.get(c.configurationId) as SealedRecord;
      const moved = (await env.rewrap(r, c)) as SealedRecord;
      assert.equal(moved.keyVersion, 2);
      assert.ok(moved.nonce === r.nonce && moved.ciphertext === r.ciphertext);
      store.set(c.configurationId, moved);
    }
    assert.ok([...store.values()].every((r) => r.keyVersion === 2));

    const retired = await kek.retire(1, { isInUse });
    assert.equal(retired.retired, true);
    assert.equal(retired.label, `${kek.keyLabel}:v1:retired`);
    assert.deepEqual(await kek.retire(1, { isInUse }), retired, "retire is idempotent");
    assert.deepEqual(
      (await twin.versions()).map((v) => [v.keyVersion, v.retired, v.current]),
      [
        [1, true, false],
        [2, false, true],
      ],
    );
    for (const [id, r] of store) assert.deepEqual(await env.open(r, { ...ctx, configurationId: id }), secret);
    // A retired version neither unwraps nor wraps.
    await rejectsKey(env.open(v1Copy, contexts[0] as typeof ctx), "key_retired", [kek.keyLabel]);
    await rejectsKey(
      kek.wrap({ keyId: kek.keyLabel, keyVersion: 1 }, Buffer.alloc(32), Buffer.alloc(0)),
      "key_retired",
    );
    // The key stays in the token (retire stops use, it does not destroy).
    const raw = rawSession(tok);
    try {
      assert.equal(raw.findByLabel(`${kek.keyLabel}:v1:retired`).length, 1);
      assert.equal(raw.findByLabel(`${kek.keyLabel}:v1`).length, 0);
    } finally {
      raw.close();
    }
  });

  test("versions survive closing and reopening; mustExist refuses an absent key, naming it", async () => {
    const kek = await open();
    await kek.rotate();
    await kek.close();
    const again = await open({ keyLabel: kek.keyLabel, mustExist: true });
    assert.deepEqual(
      (await again.versions()).map((v) => v.keyVersion),
      [1, 2],
    );
    await rejectsKey(open({ keyLabel: "never-made", mustExist: true }), "unknown_key", [
      "never-made",
      tok.tokenLabel,
    ]);
  });

  test("a version retired by another provider is seen at once", async () => {
    const a = await open();
    const b = await open({ keyLabel: a.keyLabel });
    const ref1 = await a.current();
    const wrapped = await a.wrap(ref1, Buffer.alloc(32, 1), Buffer.alloc(0));
    await b.rotate();
    await b.retire(1, { isInUse: async () => false });
    await rejectsKey(a.unwrap(ref1, wrapped, Buffer.alloc(0)), "key_retired");
    assert.deepEqual(await a.current(), { keyId: a.keyLabel, keyVersion: 2 });
  });
});

describe("failures are typed and never leak the PIN", () => {
  const wrongPin = "wrong-pin-31337-do-not-leak";

  const assertNoPin = (e: KeyError, ...pins: string[]) => {
    const everything = `${e.message}\n${e.stack}\n${inspect(e, { depth: 10, showHidden: true })}`;
    for (const pin of pins) assert.ok(!everything.includes(pin), "the PIN must not appear in the error");
  };

  test("wrong PIN on a token nobody is logged into → kek_unavailable naming the token, not the PIN", async () => {
    const e = await rejectsKey(
      openPkcs11Kek({
        modulePath: fresh.modulePath,
        tokenLabel: fresh.tokenLabel,
        pin: Buffer.from(wrongPin),
        keyLabel: "k",
      }),
      "kek_unavailable",
      [fresh.tokenLabel, fresh.modulePath],
    );
    assert.match(e.message, /PIN_INCORRECT/);
    assert.equal(e.retryable, true);
    assertNoPin(e, wrongPin, fresh.pin);
  });

  test("wrong PIN on a token this process is already logged into is still refused", async () => {
    await open();
    const e = await rejectsKey(open({ pin: wrongPin }), "kek_unavailable", [tok.tokenLabel]);
    assertNoPin(e, wrongPin, tok.pin);
  });

  test("unknown token label → kek_unavailable naming it", async () => {
    const e = await rejectsKey(open({ tokenLabel: "no-such-token" }), "kek_unavailable", [
      '"no-such-token"',
      tok.modulePath,
    ]);
    assertNoPin(e, tok.pin);
  });

  test("unknown slot and missing module → kek_unavailable naming them", async () => {
    await rejectsKey(open({ tokenLabel: undefined, slot: 987654321 }), "kek_unavailable", ["slot 987654321"]);
    await rejectsKey(open({ modulePath: "/nonexistent/libpkcs11.so" }), "kek_unavailable", [
      "/nonexistent/libpkcs11.so",
    ]);
  });

  test("the token can also be chosen by slot id", async () => {
    const raw = rawSession(tok);
    const slotId = raw.slot.readBigUInt64LE(0);
    raw.close();
    const kek = await open({ tokenLabel: undefined, slot: slotId });
    assert.equal(kek.token, `slot ${slotId}`);
    const env = createEnvelope({ kek });
    assert.deepEqual(await env.open(await env.seal(secret, ctx), ctx), secret);
  });

  test("bad options are refused up front (TypeError), without the PIN", async () => {
    await assert.rejects(open({ keyLabel: "has space" }), TypeError);
    await assert.rejects(open({ modulePath: "relative/lib.so" }), TypeError);
    await assert.rejects(open({ slot: 0 }), TypeError); // both tokenLabel and slot
    await assert.rejects(open({ pin: "" }), TypeError);
  });

  test("close: queued operations finish, later calls fail, other providers on the token carry on", async () => {
    const a = await open();
    const b = await open();
    const ref = await a.current();
    // Provider calls already made when close() is called complete (an envelope seal is two calls).
    const pending = Promise.all(
      Array.from({ length: 5 }, () => a.wrap(ref, Buffer.alloc(32, 3), Buffer.alloc(0))),
    );
    await a.close();
    assert.equal((await pending).length, 5);
    await rejectsKey(a.current(), "kek_unavailable", ["closed"]);
    await a.close(); // idempotent
    const envB = createEnvelope({ kek: b });
    assert.deepEqual(await envB.open(await envB.seal(secret, ctx), ctx), secret);
  });
});
