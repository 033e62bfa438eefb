import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createEnvelope } from "../../src/keys/envelope.ts";
import { KeyError, type KeyErrorCode } from "../../src/keys/key-error.ts";
import { KEYRING_FILE_NAME, openLocalKeyring } from "../../src/keys/local-keyring.ts";

const run = promisify(execFile);
const ctx = { organizationId: "org_1", configurationId: "cfg_1", field: "clientId" };
const secret = Buffer.from("client-id-4b1d9e0f-plaintext-marker", "utf8");
const aad = Buffer.from("test-aad");

let root: string;
let n = 0;
/** A fresh, not-yet-existing folder under the suite's temp root. */
const fresh = () => path.join(root, `case-${++n}`, "keys");

async function rejectsKey(p: Promise<unknown>, code: KeyErrorCode, mentions?: string): Promise<KeyError> {
  const e = await p.then(
    () => assert.fail("expected a KeyError"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof KeyError, `expected KeyError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (mentions) assert.ok(e.message.includes(mentions), `"${e.message}" should name ${mentions}`);
  return e;
}

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "auditorium-keyring-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("creation and reopening", () => {
  test("first open creates the folder 0700 and the keyring file 0600 with one random 256-bit key", async () => {
    const dir = fresh();
    const k = await openLocalKeyring({ dir });
    assert.equal(k.path, path.join(dir, KEYRING_FILE_NAME));
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(k.path)).mode & 0o777, 0o600);
    const file = JSON.parse(await readFile(k.path, "utf8"));
    assert.equal(file.format, 1);
    assert.equal(file.keyringId, k.keyringId);
    assert.equal(file.versions.length, 1);
    assert.equal(file.versions[0].version, 1);
    assert.equal(Buffer.from(file.versions[0].key, "base64").length, 32);
    assert.deepEqual(await k.current(), { keyId: k.keyringId, keyVersion: 1 });
    k.close();
  });

  test("there is no built-in key: two new keyrings share neither id nor key", async () => {
    const [a, b] = await Promise.all([
      openLocalKeyring({ dir: fresh() }),
      openLocalKeyring({ dir: fresh() }),
    ]);
    const fa = JSON.parse(await readFile(a.path, "utf8"));
    const fb = JSON.parse(await readFile(b.path, "utf8"));
    assert.notEqual(fa.keyringId, fb.keyringId);
    assert.notEqual(fa.versions[0].key, fb.versions[0].key);
    a.close();
    b.close();
  });

  test("a second open reads the same keyring and decrypts records sealed by the first", async () => {
    const dir = fresh();
    const first = await openLocalKeyring({ dir });
    const record = await createEnvelope({ kek: first }).seal(secret, ctx);
    first.close();
    const second = await openLocalKeyring({ dir, mustExist: true });
    assert.equal(second.keyringId, first.keyringId);
    assert.deepEqual(await createEnvelope({ kek: second }).open(record, ctx), secret);
    second.close();
  });

  test("mustExist on a missing keyring fails naming the file, and creates nothing", async () => {
    const dir = fresh();
    await rejectsKey(
      openLocalKeyring({ dir, mustExist: true }),
      "keyring_missing",
      path.join(dir, KEYRING_FILE_NAME),
    );
    await assert.rejects(stat(dir), { code: "ENOENT" });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rejectsKey(openLocalKeyring({ dir, mustExist: true }), "keyring_missing", KEYRING_FILE_NAME);
    assert.deepEqual(await readdir(dir), []);
  });

  test("a leftover temp file from a crashed write does not disturb opening", async () => {
    const dir = fresh();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(dir, `${KEYRING_FILE_NAME}.999.abc.tmp`), '{"format":1,"keyr', { mode: 0o600 });
    const k = await openLocalKeyring({ dir });
    assert.deepEqual(await k.current(), { keyId: k.keyringId, keyVersion: 1 });
    k.close();
  });
});

describe("refusals name the file", () => {
  for (const [name, mode] of [
    ["world-readable", 0o604],
    ["group-readable", 0o640],
    ["world-writable", 0o602],
  ] as const) {
    test(`a ${name} keyring file is refused`, async () => {
      const dir = fresh();
      const k = await openLocalKeyring({ dir });
      k.close();
      await chmod(k.path, mode);
      await rejectsKey(openLocalKeyring({ dir }), "keyring_insecure", k.path);
    });
  }

  test("a keyring folder writable by others is refused", async () => {
    const dir = fresh();
    (await openLocalKeyring({ dir })).close();
    await chmod(dir, 0o777);
    await rejectsKey(openLocalKeyring({ dir }), "keyring_insecure", dir);
  });

  test("a symlinked keyring file is refused", async () => {
    const real = fresh();
    const k = await openLocalKeyring({ dir: real });
    k.close();
    const dir = fresh();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await symlink(k.path, path.join(dir, KEYRING_FILE_NAME));
    await rejectsKey(openLocalKeyring({ dir }), "keyring_insecure", KEYRING_FILE_NAME);
  });

  const malformed: Array<[string, (good: string) => string]> = [
    ["not JSON", () => "this is not json"],
    ["half a file (torn write)", (good) => good.slice(0, Math.floor(good.length / 2))],
    ["empty", () => ""],
    ["a short key", (good) => good.replace(/"key": "[^"]+"/, '"key": "AAAA"')],
    ["no versions", (good) => JSON.stringify({ ...JSON.parse(good), versions: [] })],
    ["an unknown format", (good) => JSON.stringify({ ...JSON.parse(good), format: 2 })],
    [
      "duplicate versions",
      (good) => {
        const f = JSON.parse(good);
        return JSON.stringify({ ...f, versions: [f.versions[0], f.versions[0]] });
      },
    ],
  ];
  for (const [name, corrupt] of malformed) {
    test(`a keyring file that is ${name} is keyring_invalid, without echoing key material`, async () => {
      const dir = fresh();
      const k = await openLocalKeyring({ dir });
      k.close();
      const good = await readFile(k.path, "utf8");
      await writeFile(k.path, corrupt(good), { mode: 0o600 });
      const e = await rejectsKey(openLocalKeyring({ dir }), "keyring_invalid", k.path);
      const key = JSON.parse(good).versions[0].key as string;
      assert.ok(!e.message.includes(key.slice(0, 12)));
    });
  }
});

describe("versions: rotate, list, retire", () => {
  test("rotate adds v2 as current; wraps use v2; v1 still unwraps", async () => {
    const k = await openLocalKeyring({ dir: fresh() });
    const v1 = await k.current();
    const w1 = await k.wrap(v1, Buffer.alloc(32, 1), aad);
    const info = await k.rotate();
    assert.equal(info.keyVersion, 2);
    assert.equal(info.current, true);
    assert.deepEqual(await k.current(), { keyId: k.keyringId, keyVersion: 2 });
    assert.deepEqual(await k.unwrap(v1, w1, aad), Buffer.alloc(32, 1));
    const list = await k.versions();
    assert.deepEqual(
      list.map((v) => [v.keyVersion, v.current, v.retiredAt]),
      [
        [1, false, undefined],
        [2, true, undefined],
      ],
    );
    assert.ok(
      list.every((v) => !("key" in v)),
      "versions() never exposes key material",
    );
    assert.equal((await stat(k.path)).mode & 0o777, 0o600, "rewritten file keeps 0600");
    k.close();
  });

  test("a rotation by another process is seen by this one without reopening", async () => {
    const dir = fresh();
    const a = await openLocalKeyring({ dir });
    const b = await openLocalKeyring({ dir });
    await b.rotate();
    assert.equal((await a.current()).keyVersion, 2);
    const w = await b.wrap({ keyId: b.keyringId, keyVersion: 2 }, Buffer.alloc(32, 7), aad);
    assert.deepEqual(await a.unwrap({ keyId: a.keyringId, keyVersion: 2 }, w, aad), Buffer.alloc(32, 7));
    a.close();
    b.close();
  });

  test("retire is refused for the current version and while the predicate says records use it", async () => {
    const k = await openLocalKeyring({ dir: fresh() });
    await rejectsKey(k.retire(1, { isInUse: async () => false }), "version_in_use");
    await k.rotate();
    const asked: unknown[] = [];
    await rejectsKey(
      k.retire(1, {
        isInUse: async (ref) => {
          asked.push(ref);
          return true;
        },
      }),
      "version_in_use",
    );
    assert.deepEqual(asked, [{ keyId: k.keyringId, keyVersion: 1 }]);
    assert.equal((await k.versions())[0]?.retiredAt, undefined);
    await rejectsKey(k.retire(9, { isInUse: async () => false }), "unknown_key");
    k.close();
  });

  test("a retired version neither wraps nor unwraps; retiring again is a no-op", async () => {
    const k = await openLocalKeyring({ dir: fresh() });
    const v1 = await k.current();
    const w1 = await k.wrap(v1, Buffer.alloc(32, 2), aad);
    await k.rotate();
    const info = await k.retire(1, { isInUse: async () => false });
    assert.equal(typeof info.retiredAt, "string");
    await rejectsKey(k.wrap(v1, Buffer.alloc(32), aad), "key_retired");
    await rejectsKey(k.unwrap(v1, w1, aad), "key_retired");
    assert.equal((await k.retire(1, { isInUse: async () => true })).retiredAt, info.retiredAt);
    assert.equal((await k.current()).keyVersion, 2);
    k.close();
  });

  test("unknown keyId or version and a tampered blob are typed errors", async () => {
    const k = await openLocalKeyring({ dir: fresh() });
    const ref = await k.current();
    const w = await k.wrap(ref, Buffer.alloc(32, 3), aad);
    await rejectsKey(k.unwrap({ ...ref, keyId: "kr_other" }, w, aad), "unknown_key");
    await rejectsKey(k.unwrap({ ...ref, keyVersion: 5 }, w, aad), "unknown_key");
    await rejectsKey(k.unwrap(ref, w, Buffer.from("other-aad")), "decryption_failed");
    await rejectsKey(k.unwrap(ref, w.subarray(0, 20), aad), "decryption_failed");
    k.close();
    await rejectsKey(k.current(), "kek_unavailable");
  });
});

describe("concurrency", () => {
  test("concurrent first opens in one process produce one keyring", async () => {
    const dir = fresh();
    const rings = await Promise.all(Array.from({ length: 16 }, () => openLocalKeyring({ dir })));
    assert.equal(new Set(rings.map((r) => r.keyringId)).size, 1);
    assert.deepEqual(await readdir(dir), [KEYRING_FILE_NAME]);
    for (const r of rings) r.close();
  });

  test("concurrent first opens in separate processes produce one keyring", async () => {
    const dir = fresh();
    const moduleUrl = pathToFileURL(
      path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/keys/local-keyring.ts"),
    ).href;
    const script = path.join(root, `open-${n}.mjs`);
    await writeFile(
      script,
      `import { openLocalKeyring } from ${JSON.stringify(moduleUrl)};\n` +
        "const k = await openLocalKeyring({ dir: process.argv[2] });\n" +
        "process.stdout.write(k.keyringId);\n",
    );
    const outs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, ["--import", "tsx", script, dir], { cwd: process.cwd() }),
      ),
    );
    const ids = new Set(outs.map((o) => o.stdout.trim()));
    assert.equal(ids.size, 1, [...ids].join(", "));
    assert.deepEqual(await readdir(dir), [KEYRING_FILE_NAME]);
    const k = await openLocalKeyring({ dir, mustExist: true });
    assert.ok(ids.has(k.keyringId));
    k.close();
  });

  test("concurrent rotations never reuse a version number", async () => {
    const dir = fresh();
    const a = await openLocalKeyring({ dir });
    const b = await openLocalKeyring({ dir });
    const infos = await Promise.all([a.rotate(), b.rotate(), a.rotate(), b.rotate(), a.rotate()]);
    assert.deepEqual(infos.map((i) => i.keyVersion).sort(), [2, 3, 4, 5, 6]);
    const versions = (await a.versions()).map((v) => v.keyVersion);
    assert.deepEqual(versions, [1, 2, 3, 4, 5, 6]);
    // Each version wrapped by one instance unwraps in the other: same key per version everywhere.
    for (const v of versions) {
      const ref = { keyId: a.keyringId, keyVersion: v };
      assert.deepEqual(
        await b.unwrap(ref, await a.wrap(ref, Buffer.alloc(32, v), aad), aad),
        Buffer.alloc(32, v),
      );
    }
    assert.deepEqual(await readdir(dir), [KEYRING_FILE_NAME], "no lock or temp files left behind");
    a.close();
    b.close();
  });

  test("a held lock times out as keyring_locked; a stale one is broken", async () => {
    const dir = fresh();
    const k = await openLocalKeyring({ dir, lock: { timeoutMs: 100, staleMs: 60_000 } });
    const lock = `${k.path}.lock`;
    await writeFile(lock, "12345\n");
    await rejectsKey(k.rotate(), "keyring_locked", k.path);
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    assert.equal((await k.rotate()).keyVersion, 2);
    k.close();
  });
});

describe("plaintext never reaches the keyring file", () => {
  test("after sealing, rotating and sealing again the keyring bytes hold no plaintext", async () => {
    const k = await openLocalKeyring({ dir: fresh() });
    const env = createEnvelope({ kek: k });
    await env.seal(secret, ctx);
    await k.rotate();
    const record = await env.seal(secret, ctx);
    const bytes = await readFile(k.path);
    for (const form of [
      secret,
      Buffer.from(secret.toString("base64")),
      Buffer.from(secret.toString("hex")),
    ]) {
      assert.equal(bytes.indexOf(form), -1);
    }
    assert.equal(Buffer.from(JSON.stringify(record)).indexOf(secret), -1);
    k.close();
  });
});
