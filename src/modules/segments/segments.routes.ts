import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, page } from "../../http/schemas.ts";
import { campaignResponse } from "../registrations/campaign.ts";
import { resultsResponse } from "../registrations/results.ts";
import { parseFilters, segmentQuery } from "./segments.filters.ts";
import type { SegmentService } from "./segments.service.ts";

const registrationSegmentRow = z.object({
  id: z.string(),
  eventId: z.string(),
  eventTitle: z.string(),
  eventStartsAt: z.string(),
  status: z.string(),
  source: z.string(),
  createdAt: z.string(),
  contact: z.object({
    id: z.string(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    company: z.string().nullable(),
    jobTitle: z.string().nullable(),
  }),
  campaign: campaignResponse,
  results: resultsResponse,
});

const contactSegmentRow = z.object({
  id: z.string(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  company: z.string().nullable(),
  jobTitle: z.string().nullable(),
  /** Of the contact's registrations, those matching the filters; the sums below are over them. */
  registrations: z.number().int(),
  attendedRegistrations: z.number().int(),
  liveMinutes: z.number().int(),
  onDemandMinutes: z.number().int(),
  engagementScore: z.number().nullable(),
  questionsAsked: z.number().int(),
  pollsAnswered: z.number().int(),
  firstJoinAt: z.string().nullable(),
  lastLeaveAt: z.string().nullable(),
});

/** Documents the CSV answer; the stream itself bypasses serialization. */
const csvBody = z.string().describe("CSV, UTF-8, CRLF line ends");

const wantsCsv = (request: FastifyRequest) => /\btext\/csv\b/i.test(request.headers.accept ?? "");

/** Segments (issue 16): registrations and contacts by their results, across events. */
export function segmentRoutes(app: FastifyInstance, deps: { segments: SegmentService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { segments } = deps;
  const tags = ["segments"];
  const filters =
    "Filters: attended (true/false), minMinutes, minEngagement, eventId, from/to (event start), status (default registered; any), source, utmSource (direct: none), utmMedium, utmCampaign. Bad filters answer 422 naming the parameter. Accept: text/csv or format=csv streams the whole segment as CSV.";

  r.get(
    "/api/v1/segments/registrations",
    {
      schema: {
        tags,
        summary: `Registrations by their results across events, in cursor pages; total counts the segment. ${filters}`,
        querystring: segmentQuery,
        produces: ["application/json", "text/csv"],
        response: {
          200: page(registrationSegmentRow).extend({ total: z.number().int() }).or(csvBody),
          ...errorResponses,
        },
      },
      preValidation: requireRole("viewer"),
    },
    async (request, reply) => {
      const organizationId = callerOf(request).organizationId;
      const f = parseFilters(request.query, wantsCsv(request));
      if (!f.csv) return segments.registrations(organizationId, f);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="segment-registrations.csv"')
        .header("cache-control", "no-store")
        .send(segments.registrationsCsv(organizationId, f) as never);
    },
  );

  r.get(
    "/api/v1/segments/contacts",
    {
      schema: {
        tags,
        summary: `Contacts with at least one registration matching the filters, with sums over those registrations, in cursor pages. ${filters}`,
        querystring: segmentQuery,
        produces: ["application/json", "text/csv"],
        response: {
          200: page(contactSegmentRow).extend({ total: z.number().int() }).or(csvBody),
          ...errorResponses,
        },
      },
      preValidation: requireRole("viewer"),
    },
    async (request, reply) => {
      const organizationId = callerOf(request).organizationId;
      const f = parseFilters(request.query, wantsCsv(request));
      if (!f.csv) return segments.contacts(organizationId, f);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="segment-contacts.csv"')
        .header("cache-control", "no-store")
        .send(segments.contactsCsv(organizationId, f) as never);
    },
  );
}
