import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireRole } from "../../http/auth.ts";
import { errorResponses } from "../../http/schemas.ts";
import { PROVIDER_KINDS, type ProviderKind, type WebinarProvider } from "../../providers/contract.ts";
import { PROVIDER_FORMS } from "./provider-settings.ts";

/** What people see for each kind. Exhaustive, so a new kind fails the build until it is named. */
export const PROVIDER_LABELS: Record<ProviderKind, string> = {
  on24: "ON24",
  zoom: "Zoom Webinars",
  goto: "GoTo Webinar",
  teams: "Microsoft Teams webinars",
  "http-contract": "Open webinar contract (any service speaking it)",
};

const field = z.object({
  name: z.string(),
  required: z.boolean(),
  /** The allowed values when the field is a choice (ON24 region). */
  choices: z.array(z.string()).nullable(),
  default: z.string().nullable(),
});

const providerInfo = z.object({
  kind: z.enum(PROVIDER_KINDS),
  label: z.string(),
  settingsFields: z.array(field),
  credentialFields: z.array(field),
  /** Empty when the provider has no fixed list (then any type id is passed on as given). */
  webinarTypes: z.array(z.object({ id: z.string(), label: z.string() })),
  capabilities: z.object({ bulkRegister: z.boolean(), webhooks: z.boolean(), subscriptions: z.boolean() }),
});

type Field = z.infer<typeof field>;

/** The form's fields, read from its JSON Schema (input side, so defaults count as optional). */
function fieldsOf(schema: z.ZodType): Field[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, { enum?: unknown[]; default?: unknown }>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, prop]) => ({
    name,
    required: json.required?.includes(name) ?? false,
    choices: prop.enum ? prop.enum.map(String) : null,
    default: prop.default === undefined ? null : String(prop.default),
  }));
}

/** Each provider kind as the forms and the adapters describe it. Static: no provider is contacted. */
export function describeProviders(providers: Record<ProviderKind, WebinarProvider>) {
  return PROVIDER_KINDS.map((kind) => {
    const provider = providers[kind];
    const form = PROVIDER_FORMS[kind];
    return {
      kind,
      label: PROVIDER_LABELS[kind],
      settingsFields: fieldsOf(form.settings),
      credentialFields: fieldsOf(form.credentials),
      webinarTypes: (provider.webinarTypes?.() ?? []).map((t) => ({ id: t.id, label: t.label })),
      capabilities: {
        bulkRegister: typeof provider.bulkRegister === "function",
        webhooks: typeof provider.handleWebhook === "function",
        subscriptions:
          typeof provider.subscribe === "function" && typeof provider.renewSubscription === "function",
      },
    };
  });
}

/**
 * `GET /api/v1/webinar-providers`: each provider's settings, credential fields, webinar types
 * and capabilities, from the runtime's registry.
 */
export function providerRoutes(
  app: FastifyInstance,
  deps: { providers: Record<ProviderKind, WebinarProvider> },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const described = describeProviders(deps.providers);
  r.get(
    "/api/v1/webinar-providers",
    {
      schema: {
        tags: ["webinars"],
        summary: "Provider kinds: settings and credential fields, webinar types, capabilities",
        response: { 200: z.object({ data: z.array(providerInfo) }), ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async () => ({ data: described }),
  );
}
