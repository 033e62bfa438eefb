import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { inspect } from "node:util";
import { ClientSecretCredential } from "@azure/identity";
import { CryptographyClient, type KeyClientOptions } from "@azure/keyvault-keys";
import { type AzureKeyVaultKek, createAzureKeyVaultKek } from "../../src/keys/azure-kek.ts";
import { createEnvelope, type SealedRecord, type SecretContext } from "../../src/keys/envelope.ts";
import { KeyError, type KeyErrorCode } from "../../src/keys/key-error.ts";
import { type AzureStandIn, startAzureStandIn } from "./azure-standin.ts";

const KEY = "auditorium-kek";
const ctx: SecretContext = { organizationId: "org_1", configurationId: "cfg_1", field: "accessTokenSecret" };
const secret = Buffer.from("on24-access-token-secret-7f3a9c1e5b2d8046", "utf8");

async function rejectsKey(p: Promise<unknown>, code?: KeyErrorCode | KeyErrorCode[]): Promise<KeyError> {
  let caught: unknown;
  try {
    const out = await p;
    assert.fail(`expected a KeyError, got ${Buffer.isBuffer(out) ? `${out.length} bytes` : typeof out}`);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof KeyError, `expected KeyError, got ${inspect(caught)}`);
  const codes = code === undefined ? undefined : Array.isArray(code) ? code : [code];
  if (codes) assert.ok(codes.includes(caught.code), `${caught.code}: ${caught.message}`);
  return caught;
}

let standin: AzureStandIn;
let clientOptions: KeyClientOptions;
let kek: AzureKeyVaultKek;
let firstKid: string;

const credentialFor = (secretValue: string) =>
  new ClientSecretCredential(standin.tenantId, standin.clientId, secretValue, {
    authorityHost: standin.authorityHost,
    disableInstanceDiscovery: true,
    agent: standin.agent,
    retryOptions: { maxRetries: 0 },
  });

before(async () => {
  standin = await startAzureStandIn();
  firstKid = await standin.rotateKey(KEY);
  // The SDK talks HTTPS to the stand-in through an agent that trusts only the test CA and
  // resolves only *.localhost (to 127.0.0.1); challenge-resource verification stays on.
  clientOptions = { agent: standin.agent, retryOptions: { maxRetries: 0 } };
  kek = createAzureKeyVaultKek({
    vaultUrl: standin.vaultUrl,
    keyName: KEY,
    credential: credentialFor(standin.clientSecret),
    clientOptions,
  });
});

after(async () => {
  await standin?.close();
});

describe("Azure Key Vault KEK against the local stand-in", () => {
  test("the official SDK wraps and unwraps through the bearer challenge", async () => {
    const crypto = new CryptographyClient(firstKid, credentialFor(standin.clientSecret), clientOptions);
    const key = Buffer.alloc(32, 7);
    const wrapped = await crypto.wrapKey("RSA-OAEP-256", key);
    assert.equal(wrapped.result.length, 256);
    const unwrapped = await crypto.unwrapKey("RSA-OAEP-256", wrapped.result);
    assert.deepEqual(Buffer.from(unwrapped.result), key);
    // The first vault request carried no token and got the challenge; the token came from the
    // stand-in's token endpoint; the remote wrapkey/unwrapkey endpoints were really used.
    const vault = standin.requests.filter((r) => r.host.includes(".vault.localhost"));
    assert.equal(vault[0]?.auth, "none");
    assert.equal(vault[0]?.status, 401);
    assert.ok(standin.requests.some((r) => r.path.endsWith("/oauth2/v2.0/token") && r.status === 200));
    assert.ok(vault.some((r) => r.path.endsWith("/wrapkey") && r.status === 200 && r.auth === "valid"));
    assert.ok(vault.some((r) => r.path.endsWith("/unwrapkey") && r.status === 200 && r.auth === "valid"));
  });

  test("current() is the key's current version; keyId is the full versioned id, keyVersion 1", async () => {
    const ref = await kek.current();
    assert.equal(ref.keyId, firstKid);
    assert.match(
      ref.keyId,
      /^https:\/\/auditorium-test\.vault\.localhost:\d+\/keys\/auditorium-kek\/[0-9a-f]{32}$/,
    );
    assert.equal(ref.keyVersion, 1);
    assert.equal(kek.provider, "azure-key-vault");
  });

  test("provider wrap/unwrap round trip authenticates the aad; the one-time key is remote-wrapped", async () => {
    const ref = await kek.current();
    const dataKey = Buffer.alloc(32, 9);
    const aad = Buffer.from("aad-1");
    const blob = await kek.wrap(ref, dataKey, aad);
    assert.equal(blob[0], 1);
    assert.equal(blob.readUInt16BE(1), 256);
    assert.equal(blob.length, 3 + 256 + 12 + 32 + 16);
    assert.deepEqual(await kek.unwrap(ref, blob, aad), dataKey);
    await rejectsKey(kek.unwrap(ref, blob, Buffer.from("aad-2")), "decryption_failed");
    await rejectsKey(kek.unwrap({ ...ref, keyVersion: 2 }, blob, aad), "unknown_key");
  });

  test("envelope seal/open with this provider", async () => {
    const envelope = createEnvelope({ kek });
    const record = await envelope.seal(secret, ctx);
    assert.equal(record.kekProvider, "azure-key-vault");
    assert.equal(record.keyId, firstKid);
    assert.equal(record.keyVersion, 1);
    assert.deepEqual(await envelope.open(record, ctx), secret);
    await rejectsKey(envelope.open(record, { ...ctx, organizationId: "org_2" }), "decryption_failed");
    await rejectsKey(envelope.open(JSON.parse(JSON.stringify(record)), { ...ctx, field: "clientId" }));
  });

  test("a wrong key version in keyId fails with KeyError", async () => {
    const envelope = createEnvelope({ kek });
    const record = await envelope.seal(secret, ctx);
    const base = record.keyId.slice(0, record.keyId.lastIndexOf("/") + 1);
    // A version the vault does not have: the vault says KeyNotFound.
    await rejectsKey(envelope.open({ ...record, keyId: `${base}${"0".repeat(32)}` }, ctx), "unknown_key");
    // No version, another key name, another vault, an alias spelling: refused before any call.
    const before = standin.requests.length;
    for (const keyId of [
      base.slice(0, -1),
      record.keyId.replace("/keys/auditorium-kek/", "/keys/other-key/"),
      record.keyId.replace("auditorium-test.vault", "evil.vault"),
      record.keyId.replace("https://auditorium-test", "https://AUDITORIUM-test"),
      `${record.keyId}?x=1`,
    ]) {
      await rejectsKey(envelope.open({ ...record, keyId }, ctx), "unknown_key");
    }
    await rejectsKey(envelope.open({ ...record, keyVersion: 2 }, ctx), "unknown_key");
    assert.equal(standin.requests.length, before, "refused key ids must not reach any vault");
  });

  test("every single-bit flip of the wrapped blob fails with a KeyError", async () => {
    const ref = await kek.current();
    const dataKey = Buffer.alloc(32, 3);
    const aad = Buffer.from("flip-aad");
    const blob = await kek.wrap(ref, dataKey, aad);
    const codes = new Map<string, number>();
    for (let bit = 0; bit < blob.length * 8; bit++) {
      const bad = Buffer.from(blob);
      bad[bit >> 3] = (bad[bit >> 3] ?? 0) ^ (1 << (bit & 7));
      const err = await rejectsKey(kek.unwrap(ref, bad, aad), "decryption_failed");
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
    }
    assert.deepEqual([...codes.keys()], ["decryption_failed"]);
    // Truncated and extended blobs too.
    await rejectsKey(kek.unwrap(ref, blob.subarray(0, blob.length - 1), aad), "decryption_failed");
    await rejectsKey(kek.unwrap(ref, Buffer.concat([blob, Buffer.alloc(1)]), aad), "decryption_failed");
    await rejectsKey(kek.unwrap(ref, Buffer.alloc(0), aad), "decryption_failed");
  });

  test("rotation in the vault: new seals use the new version, old records still open", async () => {
    const envelope = createEnvelope({ kek });
    const old = await envelope.seal(secret, ctx);
    const newKid = await standin.rotateKey(KEY);
    assert.notEqual(newKid, old.keyId);
    const fresh: SealedRecord = await envelope.seal(secret, ctx);
    assert.equal(fresh.keyId, newKid);
    assert.equal(fresh.keyVersion, 1);
    assert.deepEqual(await envelope.open(old, ctx), secret);
    assert.deepEqual(await envelope.open(fresh, ctx), secret);
    // An existing but wrong version (the record relabelled to v2): RSA decryption fails.
    await rejectsKey(envelope.open({ ...old, keyId: newKid }, ctx), "decryption_failed");
  });

  test("a bad client secret is kek_unavailable naming the vault and key, without the secret", async () => {
    const badSecret = `wrong-secret-${"x".repeat(20)}`;
    const bad = createAzureKeyVaultKek({
      vaultUrl: standin.vaultUrl,
      keyName: KEY,
      credential: credentialFor(badSecret),
      clientOptions,
    });
    const goodBlob = await kek.wrap({ keyId: firstKid, keyVersion: 1 }, Buffer.alloc(32, 5), Buffer.alloc(0));
    const attempts = [
      () => bad.current(),
      () => bad.wrap({ keyId: firstKid, keyVersion: 1 }, Buffer.alloc(32, 5), Buffer.alloc(0)),
      () => bad.unwrap({ keyId: firstKid, keyVersion: 1 }, goodBlob, Buffer.alloc(0)),
    ];
    for (const attempt of attempts) {
      const err = await rejectsKey(attempt(), "kek_unavailable");
      assert.match(err.message, /could not authenticate/);
      assert.ok(err.retryable);
      assert.match(err.message, /auditorium-test\.vault\.localhost/);
      assert.match(err.message, /auditorium-kek/);
      const everything = `${err.message}\n${inspect(err, { depth: 10 })}\n${JSON.stringify(err)}`;
      for (const s of [badSecret, standin.clientSecret, ...standin.issuedTokens]) {
        assert.ok(!everything.includes(s), "error must not contain a secret or token");
      }
    }
  });

  test("an unreachable vault is kek_unavailable; a missing key is unknown_key", async () => {
    const gone = createAzureKeyVaultKek({
      vaultUrl: standin.vaultUrl.replace(/:\d+$/, ":1"),
      keyName: KEY,
      credential: credentialFor(standin.clientSecret),
      clientOptions,
    });
    const err = await rejectsKey(gone.current(), "kek_unavailable");
    assert.match(err.message, /could not reach the vault \(RestError ECONNREFUSED\)/);
    const missing = createAzureKeyVaultKek({
      vaultUrl: standin.vaultUrl,
      keyName: "no-such-key",
      credential: credentialFor(standin.clientSecret),
      clientOptions,
    });
    await rejectsKey(missing.current(), "unknown_key");
  });

  test("invalid options are refused at construction", () => {
    const credential = credentialFor(standin.clientSecret);
    for (const vaultUrl of ["http://x.vault.localhost", "https://x.vault.localhost/path", "not a url"]) {
      assert.throws(() => createAzureKeyVaultKek({ vaultUrl, keyName: KEY, credential }), TypeError);
    }
    assert.throws(
      () => createAzureKeyVaultKek({ vaultUrl: standin.vaultUrl, keyName: "bad/name", credential }),
      TypeError,
    );
  });

  test("a challenge naming a foreign resource is refused by the SDK before any token is fetched", async () => {
    const foreign = await startAzureStandIn({ challengeResource: "https://vault.elsewhere.localhost" });
    try {
      await foreign.rotateKey(KEY);
      const provider = createAzureKeyVaultKek({
        vaultUrl: foreign.vaultUrl,
        keyName: KEY,
        credential: new ClientSecretCredential(foreign.tenantId, foreign.clientId, foreign.clientSecret, {
          authorityHost: foreign.authorityHost,
          disableInstanceDiscovery: true,
          agent: foreign.agent,
        }),
        clientOptions: { agent: foreign.agent, retryOptions: { maxRetries: 0 } },
      });
      const err = await rejectsKey(provider.current(), "kek_unavailable");
      assert.match(err.message, /another resource domain/);
      assert.equal(foreign.issuedTokens.length, 0);
      assert.ok(!foreign.requests.some((r) => r.path.endsWith("/token")));
    } finally {
      await foreign.close();
    }
  });

  test("a revoked token is refused, never served; a fresh credential works; no unauthenticated success", async () => {
    const envelope = createEnvelope({ kek });
    const record = await envelope.seal(secret, ctx);
    standin.revokeTokens();
    // The SDK still holds the (now revoked) token: the vault refuses it and nothing is returned.
    const err = await rejectsKey(envelope.open(record, ctx), "kek_unavailable");
    assert.match(err.message, /access denied \(RestError HTTP 401 Unauthorized\)/);
    const fresh = createAzureKeyVaultKek({
      vaultUrl: standin.vaultUrl,
      keyName: KEY,
      credential: credentialFor(standin.clientSecret),
      clientOptions,
    });
    assert.deepEqual(await createEnvelope({ kek: fresh }).open(record, ctx), secret);

    const vault = standin.requests.filter((r) => r.host.includes(".vault.localhost"));
    assert.ok(vault.length > 0);
    for (const r of vault) {
      if (r.auth !== "valid")
        assert.equal(r.status, 401, `${r.method} ${r.path} (${r.auth}) got ${r.status}`);
    }
    assert.ok(
      vault.some((r) => r.auth === "invalid"),
      "a revoked token was presented and refused",
    );
    assert.ok(
      vault.some((r) => r.auth === "none"),
      "the challenge was exercised",
    );
    // Nothing but the two stand-in hosts was ever contacted (the agent resolves nothing else).
    for (const r of standin.requests) assert.match(r.host, /^(login|auditorium-test\.vault)\.localhost:\d+$/);
  });
});
