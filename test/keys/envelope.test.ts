import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createEnvelope,
  type Envelope,
  type SealedRecord,
  type SecretContext,
  sealedRecordSchema,
} from "../../src/keys/envelope.ts";
import type { KekProvider } from "../../src/keys/kek.ts";
import { KeyError, type KeyErrorCode } from "../../src/keys/key-error.ts";
import { type LocalKeyring, openLocalKeyring } from "../../src/keys/local-keyring.ts";

const ctx: SecretContext = { organizationId: "org_1", configurationId: "cfg_1", field: "accessTokenSecret" };
const secret = Buffer.from("on24-access-token-secret-7f3a9c1e5b2d8046", "utf8");

/** Asserts `p` rejects with a KeyError (optionally of one code), never with garbage or a raw error. */
async function rejectsKey(p: Promise<unknown>, code?: KeyErrorCode): Promise<KeyError> {
  let caught: unknown;
  try {
    const out = await p;
    assert.fail(
      `expected a KeyError, got a result of ${Buffer.isBuffer(out) ? out.length : typeof out} bytes`,
    );
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KeyError, `expected KeyError, got ${String(caught)}`);
  if (code) assert.equal(caught.code, code, caught.message);
  return caught;
}

function flipBit(b64: string, bit: number): string {
  const bytes = Buffer.from(b64, "base64");
  bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return bytes.toString("base64");
}

/** Every bit for short fields; ≥ 256 spread positions (plus both ends) for long ones. */
function bitPositions(totalBits: number, sample = 256): number[] {
  if (totalBits <= 1024) return Array.from({ length: totalBits }, (_, i) => i);
  const step = totalBits / sample;
  const set = new Set<number>([0, 1, 7, totalBits - 1]);
  for (let i = 0; i < sample; i++) set.add(Math.floor(i * step + ((i * 7) % Math.max(1, Math.floor(step)))));
  return [...set].filter((b) => b < totalBits);
}

let dir: string;
let keyring: LocalKeyring;
let envelope: Envelope;
let record: SealedRecord;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "auditorium-envelope-"));
  keyring = await openLocalKeyring({ dir: path.join(dir, "keys") });
  envelope = createEnvelope({ kek: keyring });
  record = await envelope.seal(secret, ctx);
});
after(async () => {
  keyring.close();
  await rm(dir, { recursive: true, force: true });
});

describe("envelope round trip and record shape", () => {
  test("seal then open returns the plaintext", async () => {
    assert.deepEqual(await envelope.open(record, ctx), secret);
  });

  test("the record is self-describing, schema-valid JSON and survives serialisation", async () => {
    assert.equal(record.format, 1);
    assert.equal(record.kekProvider, "local");
    assert.equal(record.keyId, keyring.keyringId);
    assert.equal(record.keyVersion, 1);
    assert.equal(Buffer.from(record.nonce, "base64").length, 12);
    assert.equal(Buffer.from(record.tag, "base64").length, 16);
    assert.equal(Buffer.from(record.wrappedKey, "base64").length, 12 + 32 + 16);
    const revived: unknown = JSON.parse(JSON.stringify(record));
    assert.deepEqual(sealedRecordSchema.parse(revived), record);
    assert.deepEqual(await envelope.open(revived, ctx), secret);
  });

  test("each seal uses a fresh data key and nonce", async () => {
    const again = await envelope.seal(secret, ctx);
    assert.notEqual(again.nonce, record.nonce);
    assert.notEqual(again.wrappedKey, record.wrappedKey);
    assert.notEqual(again.ciphertext, record.ciphertext);
  });

  test("empty and large plaintexts round-trip", async () => {
    const empty = await envelope.seal(Buffer.alloc(0), ctx);
    assert.equal((await envelope.open(empty, ctx)).length, 0);
    const big = Buffer.alloc(64 * 1024, 0xab);
    assert.deepEqual(await envelope.open(await envelope.seal(big, ctx), ctx), big);
  });

  test("the sealed record JSON never contains the plaintext in any common encoding", async () => {
    const json = Buffer.from(JSON.stringify(record), "utf8");
    for (const form of [
      secret,
      Buffer.from(secret.toString("base64")),
      Buffer.from(secret.toString("hex")),
    ]) {
      assert.equal(json.indexOf(form), -1);
    }
    assert.equal(json.indexOf(Buffer.from("on24-access")), -1);
  });

  test("an empty context part is refused before any crypto", async () => {
    await rejectsKey(envelope.seal(secret, { ...ctx, field: "" }), "invalid_context");
    await rejectsKey(envelope.open(record, { ...ctx, organizationId: "" }), "invalid_context");
  });
});

describe("context binding", () => {
  for (const [name, other] of [
    ["another organization", { ...ctx, organizationId: "org_2" }],
    ["another configuration", { ...ctx, configurationId: "cfg_2" }],
    ["another field", { ...ctx, field: "accessTokenKey" }],
  ] as const) {
    test(`a record does not open under ${name}`, async () => {
      await rejectsKey(envelope.open(record, other), "decryption_failed");
    });
  }

  test("the encoding is unambiguous: shifting characters between parts does not open", async () => {
    const a = { organizationId: "org_1", configurationId: "cfg_1x", field: "y" };
    const sealed = await envelope.seal(secret, a);
    await rejectsKey(
      envelope.open(sealed, { ...a, configurationId: "cfg_1", field: "xy" }),
      "decryption_failed",
    );
    await rejectsKey(envelope.open(sealed, { ...a, organizationId: "org_1cfg_1x", configurationId: "" }));
  });

  test("swapping the wrapped key of another record (same context) does not open", async () => {
    const other = await envelope.seal(Buffer.from("different secret"), ctx);
    await rejectsKey(envelope.open({ ...record, wrappedKey: other.wrappedKey }, ctx), "decryption_failed");
    await rejectsKey(envelope.open({ ...record, nonce: other.nonce }, ctx), "decryption_failed");
  });
});

describe("tampering: every single-bit flip gives a KeyError", () => {
  for (const field of ["nonce", "tag", "wrappedKey", "ciphertext"] as const) {
    test(`every bit of ${field}`, async () => {
      const bits = Buffer.from(record[field], "base64").length * 8;
      const positions = bitPositions(bits);
      assert.equal(positions.length, bits, "short fields are flipped at every bit");
      for (const bit of positions) {
        await rejectsKey(
          envelope.open({ ...record, [field]: flipBit(record[field], bit) }, ctx),
          "decryption_failed",
        );
      }
    });
  }

  test("≥ 256 sampled bits of a long ciphertext", async () => {
    const long = await envelope.seal(Buffer.alloc(8 * 1024, 0x5a), ctx);
    const bits = Buffer.from(long.ciphertext, "base64").length * 8;
    const positions = bitPositions(bits);
    assert.ok(positions.length >= 256, `sampled ${positions.length}`);
    for (const bit of positions) {
      await rejectsKey(
        envelope.open({ ...long, ciphertext: flipBit(long.ciphertext, bit) }, ctx),
        "decryption_failed",
      );
    }
  });

  test("truncating or extending ciphertext, tag or wrapped key fails", async () => {
    const cut = (b64: string, n: number) => Buffer.from(b64, "base64").subarray(0, -n).toString("base64");
    const grow = (b64: string) =>
      Buffer.concat([Buffer.from(b64, "base64"), Buffer.of(0)]).toString("base64");
    await rejectsKey(
      envelope.open({ ...record, ciphertext: cut(record.ciphertext, 1) }, ctx),
      "decryption_failed",
    );
    await rejectsKey(
      envelope.open({ ...record, ciphertext: grow(record.ciphertext) }, ctx),
      "decryption_failed",
    );
    await rejectsKey(
      envelope.open({ ...record, wrappedKey: cut(record.wrappedKey, 1) }, ctx),
      "decryption_failed",
    );
    await rejectsKey(envelope.open({ ...record, tag: cut(record.tag, 4) }, ctx), "malformed_record");
  });

  test("a changed keyId is unknown_key", async () => {
    await rejectsKey(envelope.open({ ...record, keyId: "kr_AAAAAAAAAAAAAAAAAAAAAA" }, ctx), "unknown_key");
    await rejectsKey(envelope.open({ ...record, keyId: `${record.keyId}x` }, ctx), "unknown_key");
  });

  test("a changed keyVersion is a KeyError (unknown_key when absent, decryption_failed when present)", async () => {
    await rejectsKey(envelope.open({ ...record, keyVersion: 2 }, ctx), "unknown_key");
    await rejectsKey(envelope.open({ ...record, keyVersion: 0 }, ctx), "malformed_record");
    await rejectsKey(envelope.open({ ...record, keyVersion: 1.5 }, ctx), "malformed_record");
  });

  test("a changed kekProvider is unknown_key", async () => {
    await rejectsKey(envelope.open({ ...record, kekProvider: "pkcs11" }, ctx), "unknown_key");
  });

  test("every single-bit flip of every character of the serialised record gives a KeyError", async () => {
    const json = JSON.stringify(record);
    const bytes = Buffer.from(json, "utf8");
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const copy = Buffer.from(bytes);
      copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      let parsed: unknown;
      try {
        parsed = JSON.parse(copy.toString("utf8"));
      } catch {
        continue; // the storage layer would fail to read it; nothing reaches open()
      }
      await rejectsKey(envelope.open(parsed, ctx));
    }
  });
});

describe("malformed records", () => {
  const cases: Array<[string, (r: SealedRecord) => unknown]> = [
    ["null", () => null],
    ["a string", () => "not a record"],
    ["an empty object", () => ({})],
    ["format 2", (r) => ({ ...r, format: 2 })],
    ["a missing tag", (r) => ({ ...r, tag: undefined })],
    ["an extra property", (r) => ({ ...r, plaintext: "x" })],
    ["a non-base64 nonce", (r) => ({ ...r, nonce: "!!!!!!!!!!!!!!!!" })],
    ["a short nonce", (r) => ({ ...r, nonce: Buffer.alloc(8).toString("base64") })],
    ["non-canonical base64", (r) => ({ ...r, ciphertext: `${r.ciphertext}\n` })],
    ["an empty wrapped key", (r) => ({ ...r, wrappedKey: "" })],
    ["a string version", (r) => ({ ...r, keyVersion: "1" })],
  ];
  for (const [name, value] of cases) {
    test(`${name} is malformed_record`, async () => {
      await rejectsKey(envelope.open(value(record), ctx), "malformed_record");
    });
  }
});

describe("key hygiene and KEK versions", () => {
  test("the plain data key is zeroed after seal and after open", async () => {
    const seen: Buffer[] = [];
    const spy: KekProvider = {
      provider: keyring.provider,
      current: () => keyring.current(),
      wrap: async (ref, dataKey, aad) => {
        seen.push(dataKey);
        return keyring.wrap(ref, dataKey, aad);
      },
      unwrap: async (ref, wrapped, aad) => {
        const dk = await keyring.unwrap(ref, wrapped, aad);
        seen.push(dk);
        return dk;
      },
    };
    const env = createEnvelope({ kek: spy });
    const sealed = await env.seal(secret, ctx);
    assert.deepEqual(await env.open(sealed, ctx), secret);
    assert.equal(seen.length, 2);
    for (const dk of seen)
      assert.ok(
        dk.every((b) => b === 0),
        "data key buffer was zeroed",
      );
  });

  test("a non-KeyError from the KEK provider is wrapped, not thrown raw", async () => {
    const broken: KekProvider = {
      provider: "local",
      current: async () => {
        throw new Error("ECONNRESET");
      },
      wrap: async () => Buffer.alloc(0),
      unwrap: async () => {
        throw new TypeError("boom");
      },
    };
    const env = createEnvelope({ kek: broken });
    await rejectsKey(env.seal(secret, ctx), "kek_unavailable");
    await rejectsKey(env.open(record, ctx), "kek_unavailable");
  });

  test("a record from another keyring is unknown_key", async () => {
    const otherDir = await mkdtemp(path.join(os.tmpdir(), "auditorium-envelope-other-"));
    const other = await openLocalKeyring({ dir: otherDir });
    try {
      await rejectsKey(createEnvelope({ kek: other }).open(record, ctx), "unknown_key");
    } finally {
      other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  test("after rotate new seals use v2, v1 records still open, and the keyring never holds plaintext", async () => {
    const v1 = await envelope.seal(secret, ctx);
    assert.equal(v1.keyVersion, 1);
    const info = await keyring.rotate();
    assert.equal(info.keyVersion, 2);
    const v2 = await envelope.seal(secret, ctx);
    assert.equal(v2.keyVersion, 2);
    assert.deepEqual(await envelope.open(v1, ctx), secret);
    assert.deepEqual(await envelope.open(v2, ctx), secret);
    // The v2 record does not open if its version is rewritten to 1 (the wrap AAD binds it).
    await rejectsKey(envelope.open({ ...v2, keyVersion: 1 }, ctx), "decryption_failed");
    await rejectsKey(envelope.open({ ...v1, keyVersion: 2 }, ctx), "decryption_failed");
    const file = await readFile(keyring.path);
    assert.equal(file.indexOf(secret), -1);
    assert.equal(file.indexOf(Buffer.from(secret.toString("base64"))), -1);
  });
});
