// Reads ON24's OpenAPI document from specs/on24 (a copy of the vendor's, see specs/README.md) and validates simulator responses against it.
// The vendor document declares request schemas (components, via $ref) but gives responses only as
// examples, so a response "schema" is the declared one when present, else one inferred from the
// named examples: same keys, same JSON types (integer vs number), arrays item-wise, and no keys
// the examples do not have.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  allOf?: Schema[];
};

type Json = Record<string, unknown>;
export type Spec = { paths: Record<string, Record<string, Json>>; components?: Json };

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const specPath = path.resolve(repoRoot, "specs/on24/openapi.json");

export function loadOn24Spec(file = specPath): Spec {
  if (!existsSync(file)) {
    throw new Error(
      `ON24 OpenAPI document not found at ${file}. The ON24 conformance test validates the simulator ` +
        "against the vendor document copied in specs/on24/ (see specs/README.md); restore it from git.",
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as Spec;
}

export function resolveRef(spec: Spec, ref: string): Schema {
  if (!ref.startsWith("#/")) throw new Error(`Only local $refs are supported: ${ref}`);
  let node: unknown = spec;
  for (const part of ref.slice(2).split("/")) {
    node = (node as Json | undefined)?.[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  if (!node) throw new Error(`Unresolvable $ref ${ref}`);
  return node as Schema;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Infers a strict schema from sample values (the union of their keys; required = keys in every sample). */
export function inferSchema(samples: unknown[]): Schema {
  const types = new Set(samples.map(jsonType));
  if (types.size === 0) return {};
  if (types.size === 2 && types.has("integer") && types.has("number")) return { type: "number" };
  if (types.size > 1) throw new Error(`Examples disagree on type: ${[...types].join(", ")}`);
  const type = [...types][0] as string;
  if (type === "array") return { type, items: inferSchema(samples.flatMap((s) => s as unknown[])) };
  if (type !== "object") return { type };
  const objs = samples as Json[];
  const keys = [...new Set(objs.flatMap((o) => Object.keys(o)))];
  const properties: Record<string, Schema> = {};
  for (const k of keys) properties[k] = inferSchema(objs.filter((o) => k in o).map((o) => o[k]));
  return {
    type,
    properties,
    required: keys.filter((k) => objs.every((o) => k in o)),
    additionalProperties: false,
  };
}

function operation(spec: Spec, p: string, method: string): Json {
  const op = spec.paths[p]?.[method.toLowerCase()];
  if (!op) throw new Error(`No operation ${method} ${p} in the ON24 spec`);
  return op;
}

/** The 200 response schema: declared, or inferred from the chosen examples (default: all). */
export function responseSchema(spec: Spec, p: string, method: string, exampleNames?: string[]): Schema {
  const responses = operation(spec, p, method).responses as Record<string, Json>;
  const media = (responses["200"]?.content as Record<string, Json> | undefined)?.["application/json"];
  if (!media) throw new Error(`No application/json 200 response for ${method} ${p}`);
  if (media.schema) return media.schema as Schema;
  if ("example" in media) return inferSchema([media.example]);
  const examples = media.examples as Record<string, { value: unknown }>;
  const names = exampleNames ?? Object.keys(examples);
  const missing = names.filter((n) => !(n in examples));
  if (missing.length) throw new Error(`Unknown example(s) ${missing.join(", ")} for ${method} ${p}`);
  return inferSchema(names.map((n) => examples[n]?.value));
}

/** Request body schema (form) of an operation, with its $ref resolved. */
export function requestSchema(spec: Spec, p: string, method: string): Schema {
  const body = operation(spec, p, method).requestBody as Json | undefined;
  const content = body?.content as Record<string, { schema: Schema }> | undefined;
  const schema = content?.["application/x-www-form-urlencoded"]?.schema;
  if (!schema) throw new Error(`No form body for ${method} ${p}`);
  return schema.$ref ? resolveRef(spec, schema.$ref) : schema;
}

export interface ValidateOptions {
  /** Keys documented in the examples that the simulator does not produce (relaxes `required` only). */
  notSimulated?: string[];
}

/** Returns human-readable violations; empty when `value` conforms. */
export function validate(
  spec: Spec,
  schema: Schema,
  value: unknown,
  opts: ValidateOptions = {},
  at = "$",
): string[] {
  if (schema.$ref) return validate(spec, resolveRef(spec, schema.$ref), value, opts, at);
  const errors = (schema.allOf ?? []).flatMap((s) => validate(spec, s, value, opts, at));
  const actual = jsonType(value);
  if (schema.type && !(schema.type === actual || (schema.type === "number" && actual === "integer"))) {
    return [
      ...errors,
      `${at}: expected ${schema.type}, got ${actual} (${JSON.stringify(value)?.slice(0, 60)})`,
    ];
  }
  if (actual === "object") {
    const obj = value as Json;
    const skip = new Set(opts.notSimulated ?? []);
    for (const k of schema.required ?? []) {
      if (!(k in obj) && !skip.has(k)) errors.push(`${at}: missing required property "${k}"`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const prop = schema.properties?.[k];
      if (prop) errors.push(...validate(spec, prop, v, opts, `${at}.${k}`));
      else if (schema.additionalProperties === false)
        errors.push(`${at}: property "${k}" is not in the spec`);
    }
  }
  if (actual === "array" && schema.items) {
    (value as unknown[]).forEach((v, i) => {
      errors.push(...validate(spec, schema.items as Schema, v, opts, `${at}[${i}]`));
    });
  }
  return errors;
}

/** Error messages an operation documents for a status ("a | b; or c"), as matchers. */
export function documentedMessages(spec: Spec, p: string, method: string, status: number): RegExp[] {
  const responses = operation(spec, p, method).responses as Record<string, { description?: string }>;
  const text = responses[String(status)]?.description ?? "";
  return text
    .split(/\s*(?:\||;\s*or\s|;)\s*/)
    .filter(Boolean)
    .map((m) => {
      const escaped = m.replace(/\.$/, "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return new RegExp(`^${escaped.replace(/\\\{\w+\\\}|XXXXXX/g, "\\S+")}\\.?$`);
    });
}
