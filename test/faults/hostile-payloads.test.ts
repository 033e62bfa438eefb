import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { before, test } from "node:test";
import { publishedEvent } from "../helpers/events.ts";
import { forEachBackend, type TestOrg, testEnv } from "../helpers/harness.ts";

/**
 * 10,000 hostile registration payloads over real HTTP, half to the public endpoint and half
 * to the authenticated API: wrong types, huge strings, invalid UTF-8, prototype-pollution
 * keys, SQL and HTML injection strings, unknown fields, broken JSON. Every one carries at
 * least one defect, so every answer must be a 4xx — never a 5xx — nothing may be written,
 * and the server must keep answering. Seeded, so a failure reproduces.
 */
testEnv.AUDITORIUM_PUBLIC_RATE_LIMIT = "1000000";

const TOTAL = Number(process.env.HOSTILE_PAYLOADS ?? 10_000);

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INJECTIONS = [
  "'; DROP TABLE registrations; --",
  '" OR 1=1 --',
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  "${7*7}{{7*7}}",
  "../../etc/passwd",
  "=cmd|' /C calc'!A0",
  "\u202e\u0000\u0007",
  "😀".repeat(50),
];
const WRONG_VALUES: unknown[] = [
  42,
  -1,
  1e308,
  true,
  null,
  [],
  ["a"],
  {},
  { $gt: "" },
  { __proto__: { admin: true } },
];
const FIELDS = ["firstName", "lastName", "email", "company", "jobTitle", "consent", "sessionIds"];

interface Payload {
  body: Buffer;
  contentType: string;
  defect: string;
}

/** One payload with at least one defect, decorated with injection strings where they are valid. */
function hostile(rand: () => number, n: number): Payload {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const base: Record<string, unknown> = {
    firstName: rand() < 0.5 ? pick(INJECTIONS) : "Eve",
    lastName: rand() < 0.5 ? pick(INJECTIONS).slice(0, 90) : "Mallory",
    email: `eve${n}@example.com`,
  };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const defects: (() => Payload)[] = [
    () => {
      const field = pick(FIELDS);
      // null is a valid "not given" for the optional fields, and [] a valid session list.
      const wrong = WRONG_VALUES.filter(
        (v) =>
          !(field !== "consent" && v === null) &&
          !(field === "sessionIds" && Array.isArray(v) && v.length === 0),
      );
      return {
        body: json({ ...base, [field]: pick(wrong) }),
        contentType: "application/json",
        defect: `type:${field}`,
      };
    },
    () => {
      const field = pick(["firstName", "lastName", "email", "company"]);
      const size = pick([101, 1_000, 100_000, 900_000]);
      return {
        body: json({ ...base, [field]: "A".repeat(size) }),
        contentType: "application/json",
        defect: `huge:${field}`,
      };
    },
    () => ({
      body: json({ ...base, email: `${pick(INJECTIONS)}@x` }),
      contentType: "application/json",
      defect: "email",
    }),
    () => {
      const key = pick(["__proto__", "constructor", "prototype", "isAdmin", "status", "organizationId"]);
      const text = JSON.stringify(base).replace(/}$/, `,"${key}":{"polluted":true,"prototype":{"x":1}}}`);
      return { body: Buffer.from(text), contentType: "application/json", defect: `key:${key}` };
    },
    () => {
      const text = Buffer.from(JSON.stringify({ ...base, firstName: "X" }));
      const at = text.indexOf(Buffer.from('"X"')) + 1;
      const bad = Buffer.concat([
        text.subarray(0, at),
        Buffer.from([pick([0xc3, 0xff, 0xfe, 0xed, 0xa0])]),
        text.subarray(at + 1),
      ]);
      return { body: bad, contentType: "application/json", defect: "utf8" };
    },
    () => {
      const text = JSON.stringify(base);
      return {
        body: Buffer.from(text.slice(0, Math.floor(rand() * (text.length - 1)))),
        contentType: "application/json",
        defect: "truncated",
      };
    },
    () => ({
      body: json(pick([[base], "string", 12, null])),
      contentType: "application/json",
      defect: "not-object",
    }),
    () => {
      const copy = { ...base };
      delete copy[pick(["firstName", "lastName", "email"])];
      return { body: json(copy), contentType: "application/json", defect: "missing" };
    },
    () => ({
      body: json({ ...base, sessionIds: [pick(INJECTIONS)] }),
      contentType: "application/json",
      defect: "session",
    }),
    () => ({
      body: json({ ...base, firstName: `a\n${pick(INJECTIONS)}\r\n` }),
      contentType: "application/json",
      defect: "newline",
    }),
    () => ({
      body: Buffer.from(new URLSearchParams(base as Record<string, string>).toString()),
      contentType: pick(["application/x-www-form-urlencoded", "text/plain", "application/xml"]),
      defect: "content-type",
    }),
    () => ({
      body: json({ ...base, [`x${n}`]: pick(INJECTIONS) }),
      contentType: "application/json",
      defect: "unknown",
    }),
  ];
  return pick(defects)();
}

forEachBackend(
  "10,000 hostile registration payloads",
  (ctx) => {
    let org: TestOrg;
    let base = "";
    let eventId = "";
    let slug = "";
    before(async () => {
      org = await ctx.createOrg("hostile");
      ({ id: eventId, slug } = await publishedEvent(ctx, org, {
        title: "Hostile",
        startsAt: "2031-04-01T09:00",
        endsAt: "2031-04-01T17:00",
        timeZone: "Europe/Oslo",
      }));
      await ctx.app.listen({ port: 0, host: "127.0.0.1" });
      base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    });

    const counts = async () => {
      const n = async (table: "contacts" | "registrations") =>
        Number(
          (
            await ctx.database.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return { contacts: await n("contacts"), registrations: await n("registrations") };
    };

    test(`${TOTAL} payloads: only 4xx, nothing written, the server keeps answering`, async () => {
      const before = await counts();
      const rand = prng(20261126);
      const statuses = new Map<number, number>();
      const fivexx: string[] = [];
      const started = Date.now();
      const send = async (n: number) => {
        const payload = hostile(rand, n);
        const toPublic = n % 2 === 0;
        const url = toPublic
          ? `${base}/api/v1/public/events/${slug}/registrations`
          : `${base}/api/v1/events/${eventId}/registrations`;
        const res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": payload.contentType,
            ...(toPublic ? {} : { authorization: `Bearer ${org.tokens.marketer}` }),
          },
          body: payload.body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status < 400 || res.status >= 500) fivexx.push(`${payload.defect} → ${res.status}`);
      };
      const CONCURRENCY = 16;
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < TOTAL) await send(next++);
        }),
      );
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `# hostile: ${TOTAL} payloads in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
      );
      assert.deepEqual(fivexx.slice(0, 20), [], "every hostile payload is refused with a 4xx");
      assert.deepEqual(await counts(), before, "nothing written");
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      const fine = await fetch(`${base}/api/v1/public/events/${slug}/registrations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ firstName: "Still", lastName: "Here", email: "still.here@example.com" }),
      });
      assert.equal(fine.status, 202, "a valid registration still works afterwards");
    });
  },
  { only: process.env.TEST_DATABASE_URL ? "postgres" : "pglite" },
);
