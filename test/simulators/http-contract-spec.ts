// The published contract (docs/provider-contract.openapi.json) compiled into validators: each
// component schema through zod's JSON-Schema reader, and a lookup from an operation and status
// to the schema its answer must match. Shared by the conformance and schema tests.
import { readFileSync } from "node:fs";
import { z } from "zod";

type Json = Record<string, any>;

export const CONTRACT_DOC: Json = JSON.parse(
  readFileSync(new URL("../../docs/provider-contract.openapi.json", import.meta.url), "utf8"),
);

/** OpenAPI refs point into components; zod's reader resolves `#/$defs/…`, so rewrite them. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === "object") {
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out[k] = v.replace("#/components/schemas/", "#/$defs/");
      else if (k === "discriminator")
        continue; // OpenAPI-only keyword; `oneOf` already decides.
      else out[k] = rewriteRefs(v);
    }
    return out;
  }
  return node;
}

const defs = rewriteRefs(CONTRACT_DOC.components.schemas) as Json;
const compiled = new Map<string, z.ZodType>();

/** The validator of one component schema, e.g. "Registration". */
export function schemaOf(name: string): z.ZodType {
  let s = compiled.get(name);
  if (!s) {
    if (!defs[name]) throw new Error(`no schema ${name} in the contract`);
    s = z.fromJSONSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $ref: `#/$defs/${name}`,
      $defs: defs,
    } as any);
    compiled.set(name, s);
  }
  return s;
}

function deref(node: Json): Json {
  const ref = node.$ref as string | undefined;
  if (!ref) return node;
  const path = ref.replace(/^#\//, "").split("/");
  let cur: any = CONTRACT_DOC;
  for (const p of path) cur = cur[p];
  return deref(cur);
}

/** The declared answer of an operation for a status, or undefined when the status is not declared. */
export function declaredResponse(method: string, path: string, status: number) {
  const op = CONTRACT_DOC.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`operation ${method} ${path} is not in the contract`);
  const raw = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`];
  if (!raw) return undefined;
  const res = deref(raw);
  const content = res.content?.["application/json"];
  const schemaRef: string | undefined = content?.schema?.$ref;
  return { schemaName: schemaRef?.split("/").pop() ?? null, headers: Object.keys(res.headers ?? {}) };
}

/** Issues of a body against the schema the contract declares for this operation and status. */
export function conformanceIssues(method: string, path: string, status: number, body: unknown): string[] {
  const declared = declaredResponse(method, path, status);
  if (!declared) return [`status ${status} is not declared for ${method} ${path}`];
  if (declared.schemaName === null)
    return body === undefined || body === "" ? [] : ["body where none is declared"];
  const r = schemaOf(declared.schemaName).safeParse(body);
  return r.success
    ? []
    : r.error.issues.map((i) => `${declared.schemaName}.${i.path.join(".")}: ${i.message}`);
}

/** Every operation of the contract as "METHOD /path". */
export function contractOperations(): string[] {
  const ops: string[] = [];
  for (const [path, item] of Object.entries(CONTRACT_DOC.paths as Json))
    for (const m of ["get", "post", "put", "delete"])
      if ((item as Json)[m]) ops.push(`${m.toUpperCase()} ${path}`);
  return ops;
}
