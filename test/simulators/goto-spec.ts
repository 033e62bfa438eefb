// Reads GoTo's OpenAPI document (YAML) from specs/goto-webinar (a copy, see specs/README.md) and validates simulator answers and adapter
// requests against its schemas. Stricter than the document itself: objects may carry only the
// properties it names, enums and date-time formats are checked. Type/required checking reuses the
// ON24 validator (test/simulators/on24-spec.ts).
// `yaml` is not a direct dependency: it arrives with @fastify/swagger, which is.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { repoRoot, type Schema, type Spec, validate } from "./on24-spec.ts";

export const gotoSpecDir = path.resolve(repoRoot, "specs/goto-webinar");
export const gotoSpecPath = path.join(gotoSpecDir, "openapi.yml");

export function loadGotoSpec(file = gotoSpecPath): Spec {
  if (!existsSync(file)) {
    throw new Error(
      `GoTo OpenAPI document not found at ${file}. The GoTo conformance test validates the simulator ` +
        "against the vendor document copied in specs/goto-webinar/ (see specs/README.md); restore it from git.",
    );
  }
  return parse(readFileSync(file, "utf8")) as Spec;
}

type Json = Record<string, unknown>;
type FullSchema = Schema & { enum?: unknown[]; format?: string; oneOf?: Schema[] };

function operation(spec: Spec, p: string, method: string): Json {
  const op = spec.paths[p]?.[method.toLowerCase()];
  if (!op) throw new Error(`No operation ${method} ${p} in GoTo's OpenAPI document`);
  return op;
}

export function declaredStatuses(spec: Spec, p: string, method: string): string[] {
  return Object.keys(operation(spec, p, method).responses as Json);
}

export function responseSchema(spec: Spec, p: string, method: string, status: number): FullSchema {
  const res = (operation(spec, p, method).responses as Json)[String(status)] as Json | undefined;
  const schema = ((res?.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
  if (!schema) throw new Error(`${method} ${p} declares no JSON body for ${status}`);
  return schema as FullSchema;
}

export function requestSchema(spec: Spec, p: string, method: string): FullSchema {
  const body = operation(spec, p, method).requestBody as Json | undefined;
  const schema = ((body?.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
  if (!schema) throw new Error(`${method} ${p} declares no JSON request body`);
  return schema as FullSchema;
}

function resolve(spec: Spec, s: FullSchema): FullSchema {
  if (!s.$ref) return s;
  let node: unknown = spec;
  for (const part of s.$ref.slice(2).split("/")) node = (node as Json)[part];
  if (!node) throw new Error(`Unresolvable $ref ${s.$ref}`);
  return resolve(spec, node as FullSchema);
}

/** The schema with every $ref inlined and objects closed (additionalProperties: false). */
export function strict(spec: Spec, s: FullSchema, extra: Record<string, string[]> = {}): FullSchema {
  const r = resolve(spec, s);
  const out: FullSchema = { ...r };
  if (r.items) out.items = strict(spec, r.items, extra);
  if (r.oneOf) out.oneOf = r.oneOf.map((o) => strict(spec, o, extra));
  if (r.properties) {
    out.properties = Object.fromEntries(
      Object.entries(r.properties).map(([k, v]) => [k, strict(spec, v, extra)]),
    );
    out.type ??= "object";
    out.additionalProperties = false;
  }
  return out;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Enum and date-time violations (the ON24 validator checks neither). */
function formats(s: FullSchema, v: unknown, at: string): string[] {
  const errors: string[] = [];
  if (s.enum && !s.enum.includes(v))
    errors.push(`${at}: ${JSON.stringify(v)} is not one of ${s.enum.join(", ")}`);
  if (s.format === "date-time" && typeof v === "string" && !DATE_TIME.test(v))
    errors.push(`${at}: "${v}" is not an RFC 3339 date-time`);
  if (Array.isArray(v) && s.items) {
    for (const [i, x] of v.entries()) errors.push(...formats(s.items as FullSchema, x, `${at}[${i}]`));
  } else if (v && typeof v === "object" && s.properties) {
    for (const [k, x] of Object.entries(v)) {
      const p = s.properties[k] as FullSchema | undefined;
      if (p) errors.push(...formats(p, x, `${at}.${k}`));
    }
  }
  return errors;
}

/** Violations of `value` against a schema of the document; empty when it conforms. */
export function check(
  spec: Spec,
  schema: FullSchema,
  value: unknown,
  notInDocument: string[] = [],
): string[] {
  const s = strict(spec, schema);
  if (s.oneOf) {
    const each = s.oneOf.map((o) => check(spec, o, value, notInDocument));
    return each.some((e) => e.length === 0)
      ? []
      : [`matches no oneOf branch: ${each.map((e) => e[0]).join(" | ")}`];
  }
  return [...validate(spec, s, value, { notSimulated: notInDocument }), ...formats(s, value, "$")];
}
