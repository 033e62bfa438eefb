import assert from "node:assert/strict";
import type { TestContext } from "./harness.ts";

/**
 * The route table of the running app, derived from its OpenAPI document, for the route-table
 * suites (roles, tenancy): each operation becomes a call with real ids of resources the
 * suite created, so routes added later are covered without editing those suites.
 */

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

export interface Operation {
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
export const resourceKey = (name: string) =>
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

export async function operations(ctx: TestContext): Promise<Operation[]> {
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

/** Bodies for a route by `method path`. */
export type BodyOverrides = Record<string, (ids: Record<string, string>) => unknown>;

/** Bodies the schema alone cannot describe (a refinement across fields). */
export const BODY_OVERRIDES: BodyOverrides = {
  "post /api/v1/events/{id}/registrations": (ids) => ({ contactId: ids.contact }),
  // A nullable boolean: the generic body builder would send a string.
  "patch /api/v1/events/{id}/registrant-settings": () => ({ doubleOptIn: true }),
  // A URL the outbound guard takes in tests (loopback is allowed there); nothing listens.
  "post /api/v1/webhook-endpoints": () => ({
    url: "http://127.0.0.1:9/hooks",
    eventTypes: ["registration.created"],
  }),
  "patch /api/v1/webhook-endpoints/{id}": () => ({ description: "renamed" }),
  "post /api/v1/webhook-endpoints/{id}/replay": () => ({
    since: new Date(Date.now() - 3600_000).toISOString(),
    until: new Date().toISOString(),
  }),
};

/** CSV uploads; the OpenAPI document names no request body for them (only `consumes`). */
const CSV_UPLOADS = ["post /api/v1/events/{id}/imports"];

export interface Call {
  url: string;
  body?: unknown;
  raw?: string;
  headers: Record<string, string>;
  unresolved: string[];
  /** Org A's ids appear in the path, query or body. */
  scoped: boolean;
}

/** The request for an operation; `overrides` replaces `BODY_OVERRIDES` (a suite may extend it). */
export function buildCall(
  { method, path, op }: Operation,
  ids: Record<string, string>,
  overrides: BodyOverrides = BODY_OVERRIDES,
): Call {
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
  const override = overrides[`${method} ${path}`];
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
