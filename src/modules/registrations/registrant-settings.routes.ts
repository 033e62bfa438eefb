import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams } from "../../http/schemas.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";

const settings = z.object({
  doubleOptIn: z.boolean(),
  confirmationExpiryHours: z.number().int(),
  reminderOffsetsMinutes: z.array(z.number().int()),
});
const sender = z.enum(["auditorium", "provider"]);
const eventSettings = z.object({ doubleOptIn: z.boolean().nullable(), registrantEmails: sender.nullable() });

/** The organization's registrant settings and an event's overrides (docs/email.md). */
export function registrantSettingsRoutes(
  app: FastifyInstance,
  deps: { registrantSettings: RegistrantSettingsService },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { registrantSettings } = deps;
  const tags = ["registrations"];

  r.get(
    "/api/v1/organization/registrant-settings",
    {
      schema: {
        tags,
        summary:
          "How public registrations are confirmed: double opt-in, and how long a confirmation link lasts",
        response: { 200: settings, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => registrantSettings.get(callerOf(request).organizationId),
  );

  r.patch(
    "/api/v1/organization/registrant-settings",
    {
      schema: {
        tags,
        summary:
          "Turn double opt-in on or off for the organization; set how long confirmation links last (1–720 hours)",
        body: z.strictObject({
          doubleOptIn: z.boolean().optional(),
          confirmationExpiryHours: z.number().int().min(1).max(720).optional(),
          /** Minutes before the start; [] sends no reminders. At most 5, each up to 30 days. */
          reminderOffsetsMinutes: z.array(z.number().int().min(5).max(43_200)).max(5).optional(),
        }),
        response: { 200: settings, ...errorResponses },
      },
      config: { audit: "registrant_settings.updated" },
      preValidation: requireRole("admin"),
    },
    async (request) => {
      const { doubleOptIn, confirmationExpiryHours, reminderOffsetsMinutes } = request.body;
      return registrantSettings.update(
        callerOf(request).organizationId,
        {
          ...(doubleOptIn !== undefined && { doubleOptIn }),
          ...(confirmationExpiryHours !== undefined && { confirmationExpiryHours }),
          ...(reminderOffsetsMinutes !== undefined && { reminderOffsetsMinutes }),
        },
        request.audit,
      );
    },
  );

  r.get(
    "/api/v1/events/:id/registrant-settings",
    {
      schema: {
        tags,
        summary: "The event's override of the registrant settings (null: the organization's applies)",
        params: idParams,
        response: { 200: eventSettings, ...errorResponses },
      },
      preValidation: requireRole("viewer"),
    },
    async (request) => registrantSettings.getForEvent(callerOf(request).organizationId, request.params.id),
  );

  r.patch(
    "/api/v1/events/:id/registrant-settings",
    {
      schema: {
        tags,
        summary:
          "Override double opt-in (null: follow the organization) and who sends the webinar's confirmations and reminders (null: the webinar account's choice)",
        params: idParams,
        body: z.strictObject({
          doubleOptIn: z.boolean().nullable().optional(),
          registrantEmails: sender.nullable().optional(),
        }),
        response: { 200: eventSettings, ...errorResponses },
      },
      config: { audit: "event.registrant_settings_updated" },
      preValidation: requireRole("marketer"),
    },
    async (request) => {
      const { doubleOptIn, registrantEmails } = request.body;
      return registrantSettings.updateForEvent(
        callerOf(request).organizationId,
        request.params.id,
        {
          ...(doubleOptIn !== undefined && { doubleOptIn }),
          ...(registrantEmails !== undefined && { registrantEmails }),
        },
        request.audit,
      );
    },
  );

  r.patch(
    "/api/v1/webinar-configurations/:id/registrant-emails",
    {
      schema: {
        tags,
        summary:
          "Who sends registrant confirmations and reminders for this account's webinars: auditorium (the provider's own are switched off) or provider (ours are off); null: nobody chose (the provider's)",
        params: idParams,
        body: z.strictObject({ registrantEmails: sender.nullable() }),
        response: { 200: z.object({ registrantEmails: sender.nullable() }), ...errorResponses },
      },
      config: { audit: "webinar_configuration.registrant_emails_updated" },
      preValidation: requireRole("admin"),
    },
    async (request) =>
      registrantSettings.setAccountSender(
        callerOf(request).organizationId,
        request.params.id,
        request.body.registrantEmails,
        request.audit,
      ),
  );
}
