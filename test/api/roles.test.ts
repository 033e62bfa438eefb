import assert from "node:assert/strict";
import { before, test } from "node:test";
import { WEBINAR_TERMS_VERSION } from "../../src/modules/webinars/terms.ts";
import { forEachBackend, type Response, type TestContext, type TestOrg } from "../helpers/harness.ts";
import { webinarResources } from "../helpers/webinar-resources.ts";

/**
 * Roles on every route, as a table built from the running app's OpenAPI document: routes
 * added later are checked without editing this file. Path parameters take real ids of
 * resources created here, so a refusal is the role check, not a missing resource.
 * (The route derivation is shared in spirit with tenancy.test.ts; keep the two in step.)
 */

/** Reachable without credentials. */
const OPEN = [/^\/api\/v1\/public\//, /^\/api\/v1\/auth\/(link|login)$/];
/** Organization administration: admin and owner only, reads included. */
const ADMIN_ONLY = [
  /^(get|post|patch|delete) \/api\/v1\/members/,
  /^(get|post|delete) \/api\/v1\/api-tokens/,
  /^patch \/api\/v1\/organization$/,
  /^(post|patch|delete) \/api\/v1\/webinar-configurations/,
  /^get \/api\/v1\/webinar-configurations\/\{id\}\/issues$/,
  /^post \/api\/v1\/webinar\/terms\//,
];

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface Operation {
  method: string;
  path: string;
  op: OpenApiOperation;
}
interface OpenApiParameter {
  in: string;
  name: string;
  required?: boolean;
}
interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}
interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minimum?: number;
  minItems?: number;
}

/** `check-ins` → `checkin`, `sessionId` → `session`, `api-tokens` → `apitoken`. */
const resourceKey = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z]/g, "")
    .replace(/ids?$/, "")
    .replace(/s$/, "");

/** The id a path parameter stands for: `{id}` is named by the segment before it. */
function paramKey(path: string, name: string): string {
  if (name !== "id") return resourceKey(name);
  const segments = path.split("/");
  const at = segments.indexOf("{id}");
  return resourceKey(segments[at - 1] ?? "");
}

async function operations(ctx: TestContext): Promise<Operation[]> {
  const doc = await ctx.request("GET", "/openapi.json");
  assert.equal(doc.status, 200);
  const list: Operation[] = [];
  for (const [path, item] of Object.entries(
    doc.body.paths as Record<string, Record<string, OpenApiOperation>>,
  ))
    for (const method of METHODS) if (item[method]) list.push({ method, path, op: item[method] });
  assert.ok(list.length > 20, "the OpenAPI document lists the routes");
  return list;
}

const idOf = (ids: Record<string, string>, name: string) => ids[resourceKey(name)];

/**
 * A body the route's schema accepts: required fields, plus (with `all`) optional id fields
 * we hold an id for, so references in bodies are tried with org A's ids too.
 */
function sample(schema: JsonSchema, ids: Record<string, string>, name = "", all = false): unknown {
  const byName: Record<string, unknown> = {
    timeZone: "Europe/Oslo",
    startsAt: "2026-09-01T09:00",
    endsAt: "2026-09-01T10:00",
    email: `sample-${Math.random().toString(36).slice(2)}@example.com`,
    newPassword: "a long enough password",
    language: "en",
    role: "viewer",
  };
  if (name in byName) return byName[name];
  if (/Ids$/.test(name) && idOf(ids, name)) return [idOf(ids, name)];
  if (/Id$/.test(name) && idOf(ids, name)) return idOf(ids, name);
  if (schema.anyOf) return sample(schema.anyOf.find((s) => s.type !== "null") ?? {}, ids, name);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema.properties ?? {}))
        if (schema.required?.includes(key) || (all && /Ids?$/.test(key) && idOf(ids, key)))
          out[key] = sample(prop, ids, key, all);
      return out;
    }
    case "array":
      return schema.minItems ? [sample(schema.items ?? {}, ids, name)] : [];
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return false;
    default:
      if (schema.format === "uuid") return "00000000-0000-4000-8000-000000000000";
      if (schema.format === "date-time") return new Date().toISOString();
      return "Sample";
  }
}

/** Bodies the schema alone cannot describe (a refinement across fields). */
const BODY_OVERRIDES: Record<string, (ids: Record<string, string>) => unknown> = {
  "post /api/v1/events/{id}/registrations": (ids) => ({ contactId: ids.contact }),
  "post /api/v1/webinar/terms/accept": () => ({ version: WEBINAR_TERMS_VERSION }),
  "post /api/v1/webinar-configurations": () => ({
    provider: "on24",
    name: "Roles account",
    credentials: { clientId: "2", accessTokenKey: "roles-key", accessTokenSecret: "roles-secret" },
  }),
};

/** CSV uploads; the OpenAPI document names no request body for them (only `consumes`). */
const CSV_UPLOADS = ["post /api/v1/events/{id}/imports"];

interface Call {
  url: string;
  body?: unknown;
  raw?: string;
  headers: Record<string, string>;
  unresolved: string[];
  /** Org A's ids appear in the path, query or body. */
  scoped: boolean;
}

function buildCall({ method, path, op }: Operation, ids: Record<string, string>): Call {
  const unresolved: string[] = [];
  const url = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const id = ids[paramKey(path, name)];
    if (!id) unresolved.push(`path parameter ${name}`);
    return id ?? "unresolved";
  });
  const query = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.in !== "query" || !p.required) continue;
    const id = idOf(ids, p.name);
    if (id) query.set(p.name, id);
    else unresolved.push(`query parameter ${p.name}`);
  }
  const call: Call = {
    url: query.size ? `${url}?${query}` : url,
    headers: {},
    unresolved,
    scoped: url !== path || query.size > 0,
  };
  const content = op.requestBody?.content ?? {};
  const override = BODY_OVERRIDES[`${method} ${path}`];
  if (override) call.body = override(ids);
  else if (content["application/json"]) call.body = sample(content["application/json"].schema, ids, "", true);
  else if (content["text/csv"] || CSV_UPLOADS.includes(`${method} ${path}`)) {
    call.raw = "email,first_name,last_name\r\ncsv-row@example.com,Csv,Row\r\n";
    call.headers["content-type"] = "text/csv";
  }
  const bodyText = JSON.stringify(call.body ?? null);
  if (Object.values(ids).some((id) => bodyText.includes(id))) call.scoped = true;
  return call;
}

const isOpen = (path: string) => OPEN.some((re) => re.test(path));
const isAdminOnly = (o: Operation) => ADMIN_ONLY.some((re) => re.test(`${o.method} ${o.path}`));
const name = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;

forEachBackend("roles", (ctx) => {
  let org: TestOrg;
  let ops: Operation[] = [];

  async function created(res: Response, what: string): Promise<string> {
    assert.ok(res.status === 201 || res.status === 202, `creating ${what}: ${res.status} ${res.text}`);
    return res.body.id ?? res.body.userId;
  }

  /** One of each resource, so every route's parameters are real. */
  async function fixtures(): Promise<Record<string, string>> {
    const token = org.tokens.owner;
    const post = (url: string, body: unknown) => ctx.request("POST", url, { token, body });
    const ids: Record<string, string> = { organization: org.id };
    ids.event = await created(
      await post("/api/v1/events", {
        title: "Roles event",
        startsAt: "2026-06-01T09:00",
        endsAt: "2026-06-01T17:00",
        timeZone: "Europe/Oslo",
        format: "hybrid",
      }),
      "event",
    );
    ids.session = await created(
      await post(`/api/v1/events/${ids.event}/sessions`, {
        title: "Roles session",
        startsAt: "2026-06-01T10:00",
        endsAt: "2026-06-01T11:00",
      }),
      "session",
    );
    ids.contact = await created(
      await post("/api/v1/contacts", {
        firstName: "Rolf",
        lastName: "Roles",
        email: `roles-${Math.random().toString(36).slice(2)}@example.com`,
      }),
      "contact",
    );
    ids.registration = await created(
      await post(`/api/v1/events/${ids.event}/registrations`, { contactId: ids.contact }),
      "registration",
    );
    ids.checkin = await created(
      await post(`/api/v1/events/${ids.event}/check-ins`, { registrationId: ids.registration }),
      "check-in",
    );
    ids.import = await created(
      await ctx.request("POST", `/api/v1/events/${ids.event}/imports`, {
        token,
        raw: "email,first_name,last_name\r\nroles-import@example.com,Imp,Ort\r\n",
        headers: { "content-type": "text/csv" },
      }),
      "import",
    );
    Object.assign(ids, await webinarResources(ctx, token, ids.event));
    ids.apitoken = await created(
      await post("/api/v1/api-tokens", { name: "roles", role: "viewer" }),
      "token",
    );
    ids.member = await created(
      await post("/api/v1/members", {
        email: `roles-member-${Math.random().toString(36).slice(2)}@example.com`,
        name: "Roles member",
        role: "marketer",
      }),
      "member",
    );
    return ids;
  }

  async function send(o: Operation, ids: Record<string, string>, credential: { token?: string }) {
    const call = buildCall(o, ids);
    assert.deepEqual(call.unresolved, [], `${name(o)}: add a fixture for its parameters`);
    return ctx.request(o.method, call.url, {
      ...credential,
      headers: call.headers,
      ...(call.body !== undefined && { body: call.body }),
      ...(call.raw !== undefined && { raw: call.raw }),
    });
  }

  // Writes that destroy their target run last, so the other routes still find theirs.
  const destructiveLast = (x: Operation, y: Operation) =>
    Number(x.method === "delete" || /\/(cancel|withdraw)$/.test(x.path)) -
    Number(y.method === "delete" || /\/(cancel|withdraw)$/.test(y.path));

  before(async () => {
    org = await ctx.createOrg("Roles org");
    ops = (await operations(ctx)).sort(destructiveLast);
  });

  test("a viewer token is refused (403) on every write", async () => {
    const ids = await fixtures();
    const writes = ops.filter((o) => o.method !== "get" && !isOpen(o.path));
    assert.ok(writes.length > 15);
    for (const o of writes) {
      const res = await send(o, ids, { token: org.tokens.viewer });
      assert.equal(res.status, 403, `${name(o)}: ${res.status} ${res.text}`);
    }
    // Nothing changed underneath.
    const event = await ctx.request("GET", `/api/v1/events/${ids.event}`, { token: org.tokens.viewer });
    assert.equal(event.body.status, "draft");
  });

  test("a viewer token reads everything but organization administration", async () => {
    const ids = await fixtures();
    for (const o of ops.filter((op) => op.method === "get" && !isOpen(op.path))) {
      const res = await send(o, ids, { token: org.tokens.viewer });
      if (isAdminOnly(o)) assert.equal(res.status, 403, `${name(o)}: ${res.text}`);
      else assert.equal(res.status, 200, `${name(o)}: ${res.text}`);
    }
  });

  test("a marketer is refused on admin routes and allowed on the others", async () => {
    const ids = await fixtures();
    const admin = ops.filter(isAdminOnly);
    assert.ok(admin.some((o) => o.path === "/api/v1/members/{id}" && o.method === "delete"));
    assert.ok(admin.some((o) => o.path === "/api/v1/organization" && o.method === "patch"));
    for (const o of ops.filter((op) => !isOpen(op.path))) {
      const res = await send(o, ids, { token: org.tokens.marketer });
      if (isAdminOnly(o)) {
        assert.equal(res.status, 403, `${name(o)}: ${res.text}`);
        continue;
      }
      // Session-only routes refuse every token; that is not a role decision.
      if (res.status === 403 && /signed-in user/.test(res.text)) continue;
      assert.ok(![401, 403].includes(res.status), `${name(o)}: ${res.status} ${res.text}`);
      assert.ok(res.status < 500, `${name(o)}: ${res.text}`);
    }
  });

  test("an admin token passes the admin routes", async () => {
    const ids = await fixtures();
    for (const o of ops.filter(isAdminOnly)) {
      const res = await send(o, ids, { token: org.tokens.admin });
      // A state refusal (e.g. "no credentials to check") is not a role decision.
      const stateRefusal = res.status === 409 && !/role/.test(res.text);
      assert.ok(
        (res.status >= 200 && res.status < 300) || stateRefusal,
        `${name(o)}: ${res.status} ${res.text}`,
      );
    }
  });

  test("without credentials every non-public /api/v1 route answers 401", async () => {
    const ids = await fixtures();
    const closed = ops.filter((o) => o.path.startsWith("/api/v1/") && !isOpen(o.path));
    assert.ok(closed.length > 25);
    for (const o of closed) {
      // With a valid request, and with no body and a malformed id: 401 either way, so an
      // anonymous caller learns nothing about the input a route expects.
      const valid = await send(o, ids, {});
      assert.equal(valid.status, 401, `${name(o)}: ${valid.text}`);
      assert.equal(valid.body.error.code, "unauthenticated");
      const bare = await ctx.request(o.method, o.path.replace(/\{[^}]+\}/g, "not-a-uuid"));
      assert.equal(bare.status, 401, `${name(o)} (no body): ${bare.text}`);
    }
    const open = await ctx.request("POST", "/api/v1/auth/login", {
      body: { email: "nobody@example.com", password: "wrong password" },
    });
    assert.equal(open.body.error.code, "invalid_credentials");
  });
});
