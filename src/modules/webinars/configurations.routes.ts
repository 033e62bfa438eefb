import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { WebinarConfigurationRow } from "../../db/schema-webinars.ts";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, line } from "../../http/schemas.ts";
import { AppError } from "../../lib/errors.ts";
import type { ProviderKind, WebinarProvider } from "../../providers/contract.ts";
import type { ConfigurationService } from "./configurations.service.ts";
import type { OrganizerConsentService } from "./organizer-consent.service.ts";
import { PROVIDER_FORMS, providerKind } from "./provider-settings.ts";
import { WEBINAR_TERMS_TEXT, WEBINAR_TERMS_VERSION } from "./terms.ts";

const ok = z.object({ ok: z.literal(true) });
const healthStatus = z.enum([
  "unchecked",
  "healthy",
  "not_authenticated",
  "forbidden",
  "unhealthy",
  "token_expired",
]);

const configurationResponse = z.object({
  id: z.string(),
  provider: providerKind,
  name: z.string(),
  settings: z.record(z.string(), z.string()),
  requestsPerSecond: z.number(),
  /** Which credential fields are set, when and by whom — never their values. */
  credentials: z.record(
    z.string(),
    z.object({
      set: z.boolean(),
      setAt: z.string().nullable(),
      setBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    }),
  ),
  enabled: z.boolean(),
  health: z.object({
    status: healthStatus,
    message: z.string().nullable(),
    checkedAt: z.string().nullable(),
  }),
  /** Teams: the organizer who consented (delegated token held, sealed), or null. */
  organizer: z
    .object({ id: z.string(), name: z.string().nullable(), connectedAt: z.string(), rotatedAt: z.string() })
    .nullable(),
  lastMetricsAt: z.string().nullable(),
  pausedUntil: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const createBody = z.strictObject({
  provider: providerKind,
  name: line(200),
  settings: z.record(z.string(), z.unknown()).default({}),
  requestsPerSecond: z.number().min(0.1).max(1000).optional(),
  credentials: z.record(z.string(), z.unknown()),
});
const patchBody = z.strictObject({
  name: line(200).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  requestsPerSecond: z.number().min(0.1).max(1000).optional(),
  credentials: z.record(z.string(), z.unknown()).optional(),
});

/** Parses provider-specific settings or credentials, naming the offending field under its parent. */
function parseFor(schema: z.ZodType, value: unknown, parent: string) {
  const result = schema.safeParse(value);
  if (result.success) return result.data as Record<string, string>;
  const issue = result.error.issues[0];
  const keys = (issue as { keys?: string[] } | undefined)?.keys;
  const field = [parent, ...(issue?.path ?? []).map(String), ...(keys?.slice(0, 1) ?? [])].join(".");
  throw new AppError(
    400,
    "validation_failed",
    `${field}: ${keys ? "unknown field" : (issue?.message ?? "invalid")}`,
    { field },
  );
}

export function webinarConfigurationRoutes(
  app: FastifyInstance,
  deps: {
    configurations: ConfigurationService;
    providers: Record<ProviderKind, WebinarProvider>;
    organizerConsent: Pick<OrganizerConsentService, "organizerOf">;
  },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { configurations, providers } = deps;
  const tags = ["webinar settings"];
  const admin = requireRole("admin");

  async function present(rows: WebinarConfigurationRow[]) {
    const secrets = await configurations.secretsStatus(rows.map((r) => r.id));
    const organizers = await deps.organizerConsent.organizerOf(rows.map((r) => r.id));
    const terms = rows[0] ? await configurations.termsOf(rows[0].organization_id) : undefined;
    const termsOk = terms?.version === WEBINAR_TERMS_VERSION;
    return rows.map((row) => {
      const fields = Object.keys(PROVIDER_FORMS[row.provider as ProviderKind].credentials.shape);
      const credentials = Object.fromEntries(
        fields.map((f) => {
          const s = secrets.find((x) => x.configuration_id === row.id && x.field === f);
          return [
            f,
            {
              set: Boolean(s),
              setAt: s?.set_at.toISOString() ?? null,
              setBy: s?.user_id ? { id: s.user_id, name: s.user_name ?? "" } : null,
            },
          ];
        }),
      );
      return {
        id: row.id,
        provider: row.provider as ProviderKind,
        name: row.name,
        settings: row.settings,
        requestsPerSecond: row.requests_per_second,
        credentials,
        enabled: termsOk && Object.values(credentials).every((c) => c.set),
        health: {
          status: row.health_status,
          message: row.health_message,
          checkedAt: row.health_checked_at?.toISOString() ?? null,
        },
        organizer: ((o) =>
          o
            ? {
                id: o.organizer_user_id,
                name: o.organizer_name,
                connectedAt: o.connected_at.toISOString(),
                rotatedAt: o.rotated_at.toISOString(),
              }
            : null)(organizers.find((o) => o.configuration_id === row.id)),
        lastMetricsAt: row.last_metrics_at?.toISOString() ?? null,
        pausedUntil:
          row.paused_until && row.paused_until > new Date() ? row.paused_until.toISOString() : null,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      };
    });
  }
  const presentOne = async (row: WebinarConfigurationRow) =>
    (await present([row]))[0] as z.infer<typeof configurationResponse>;

  r.get(
    "/api/v1/webinar/terms",
    {
      schema: {
        tags,
        summary: "The webinar-integration terms and this organization's acceptance",
        response: {
          200: z.object({
            version: z.string(),
            text: z.string(),
            accepted: z
              .object({
                version: z.string(),
                acceptedAt: z.string(),
                acceptedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
              })
              .nullable(),
            current: z.boolean(),
          }),
          ...errorResponses,
        },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => {
      const t = await configurations.termsOf(callerOf(request).organizationId);
      return {
        version: WEBINAR_TERMS_VERSION,
        text: WEBINAR_TERMS_TEXT,
        accepted: t
          ? {
              version: t.version,
              acceptedAt: t.accepted_at.toISOString(),
              acceptedBy: t.user_id ? { id: t.user_id, name: t.user_name ?? "" } : null,
            }
          : null,
        current: t?.version === WEBINAR_TERMS_VERSION,
      };
    },
  );

  r.post(
    "/api/v1/webinar/terms/accept",
    {
      schema: {
        tags,
        summary: "Accept the current terms (enables the webinar integration)",
        body: z.strictObject({ version: z.string().max(40) }),
        response: { 200: ok, ...errorResponses },
      },
      config: { audit: "webinar_terms.accepted" },
      preValidation: admin,
    },
    async (request) => {
      await configurations.acceptTerms(callerOf(request), request.body.version, request.audit);
      return { ok: true as const };
    },
  );

  r.post(
    "/api/v1/webinar/terms/withdraw",
    {
      schema: {
        tags,
        summary:
          "Withdraw acceptance: every configuration's credentials are removed and all provider traffic stops",
        response: { 200: ok, ...errorResponses },
      },
      config: { audit: "webinar_terms.withdrawn" },
      preValidation: admin,
    },
    async (request) => {
      await configurations.withdrawTerms(callerOf(request), request.audit);
      return { ok: true as const };
    },
  );

  r.get(
    "/api/v1/webinar-configurations",
    {
      schema: {
        tags,
        summary: "Webinar configurations (provider accounts)",
        response: { 200: z.object({ data: z.array(configurationResponse) }), ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => ({ data: await present(await configurations.list(callerOf(request).organizationId)) }),
  );

  r.get(
    "/api/v1/webinar-configurations/:id",
    {
      schema: {
        tags,
        summary: "One webinar configuration",
        params: idParams,
        response: { 200: configurationResponse, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) =>
      presentOne(await configurations.getRow(callerOf(request).organizationId, request.params.id)),
  );

  r.post(
    "/api/v1/webinar-configurations",
    {
      schema: {
        tags,
        summary: "Connect a provider account. Credentials are write-only: stored encrypted, never returned.",
        body: createBody,
        response: { 201: configurationResponse, ...errorResponses },
      },
      config: { audit: "webinar_configuration.created" },
      preValidation: admin,
    },
    async (request, reply) => {
      const form = PROVIDER_FORMS[request.body.provider];
      const row = await configurations.create(
        callerOf(request),
        {
          provider: request.body.provider,
          name: request.body.name,
          requestsPerSecond: request.body.requestsPerSecond,
          settings: parseFor(form.settings, request.body.settings, "settings"),
          credentials: parseFor(form.credentials, request.body.credentials, "credentials"),
        },
        request.audit,
      );
      return reply.code(201).send(await presentOne(row));
    },
  );

  r.patch(
    "/api/v1/webinar-configurations/:id",
    {
      schema: {
        tags,
        summary: "Rename, change settings, or replace some credentials",
        params: idParams,
        body: patchBody,
        response: { 200: configurationResponse, ...errorResponses },
      },
      config: { audit: "webinar_configuration.updated" },
      preValidation: admin,
    },
    async (request) => {
      const caller = callerOf(request);
      const current = await configurations.getRow(caller.organizationId, request.params.id);
      const form = PROVIDER_FORMS[current.provider as ProviderKind];
      const row = await configurations.update(
        caller,
        request.params.id,
        {
          name: request.body.name,
          requestsPerSecond: request.body.requestsPerSecond,
          settings: request.body.settings && parseFor(form.settings, request.body.settings, "settings"),
          credentials:
            request.body.credentials &&
            parseFor(form.credentials.partial(), request.body.credentials, "credentials"),
        },
        request.audit,
      );
      return presentOne(row);
    },
  );

  r.delete(
    "/api/v1/webinar-configurations/:id/credentials",
    {
      schema: {
        tags,
        summary:
          "Switch-off: remove the credentials. No provider call happens after this returns; queued work is held until credentials return.",
        params: idParams,
        response: { 200: configurationResponse, ...errorResponses },
      },
      config: { audit: "webinar_configuration.credentials_removed" },
      preValidation: admin,
    },
    async (request) => {
      const caller = callerOf(request);
      await configurations.removeCredentials(caller, request.params.id, request.audit);
      return presentOne(await configurations.getRow(caller.organizationId, request.params.id));
    },
  );

  r.post(
    "/api/v1/webinar-configurations/:id/check",
    {
      schema: {
        tags,
        summary: "Check the credentials against the provider and record the health",
        params: idParams,
        response: { 200: configurationResponse, ...errorResponses },
      },
      config: { audit: "webinar_configuration.checked" },
      preValidation: admin,
    },
    async (request) => {
      const caller = callerOf(request);
      const row = await configurations.getRow(caller.organizationId, request.params.id);
      await configurations.check(row, providers[row.provider as ProviderKind], request.audit);
      return presentOne(await configurations.getRow(caller.organizationId, request.params.id));
    },
  );

  r.delete(
    "/api/v1/webinar-configurations/:id",
    {
      schema: {
        tags,
        summary: "Delete a configuration no webinar uses",
        params: idParams,
        response: { 204: z.null(), ...errorResponses },
      },
      config: { audit: "webinar_configuration.deleted" },
      preValidation: admin,
    },
    async (request, reply) => {
      await configurations.remove(callerOf(request), request.params.id, request.audit);
      return reply.code(204).send(null);
    },
  );
}
