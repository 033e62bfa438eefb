import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, page } from "../../http/schemas.ts";
import { campaignResponse } from "../registrations/campaign.ts";
import { resultSumsResponse, resultsResponse } from "../registrations/results.ts";
import { parseFilters, type SegmentFilters, segmentQuery } from "./segments.filters.ts";
import type { SegmentService } from "./segments.service.ts";

/** The contact's own fields, in both segments' rows. */
const contactFields = {
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  company: z.string().nullable(),
  jobTitle: z.string().nullable(),
};

const registrationSegmentRow = z.object({
  id: z.string(),
  eventId: z.string(),
  eventTitle: z.string(),
  eventStartsAt: z.string(),
  status: z.string(),
  source: z.string(),
  createdAt: z.string(),
  contact: z.object({ id: z.string(), ...contactFields }),
  campaign: campaignResponse,
  results: resultsResponse,
});

const contactSegmentRow = z.object({
  id: z.string(),
  ...contactFields,
  /** Of the contact's registrations, those matching the filters; the sums below are over them. */
  registrations: z.number().int(),
  attendedRegistrations: z.number().int(),
  ...resultSumsResponse.shape,
});

/** Documents the CSV answer; the stream itself bypasses serialization. */
const csvBody = z.string().describe("CSV, UTF-8, CRLF line ends");

const wantsCsv = (request: FastifyRequest) => /\btext\/csv\b/i.test(request.headers.accept ?? "");

const filters =
  "Filters: attended (true/false), minMinutes, minEngagement, eventId, from/to (event start), status (default registered; any), source, utmSource (direct: none), utmMedium, utmCampaign. Bad filters answer 422 naming the parameter. Accept: text/csv or format=csv streams the whole segment as CSV.";

/**
 * One segment route: the filters parsed once, then the segment answered as a JSON page or
 * streamed as CSV (Accept: text/csv or format=csv) under `csvName`.
 */
function segmentRoute<Row extends z.ZodType>(
  app: FastifyInstance,
  spec: {
    path: string;
    summary: string;
    row: Row;
    csvName: string;
    json: (
      organizationId: string,
      f: SegmentFilters,
    ) => Promise<{ data: z.output<Row>[]; nextCursor: string | null; total: number }>;
    csv: (organizationId: string, f: SegmentFilters) => Readable;
  },
) {
  app.withTypeProvider<ZodTypeProvider>().get(
    spec.path,
    {
      schema: {
        tags: ["segments"],
        summary: `${spec.summary} ${filters}`,
        querystring: segmentQuery,
        produces: ["application/json", "text/csv"],
        response: {
          200: page(spec.row).extend({ total: z.number().int() }).or(csvBody),
          ...errorResponses,
        },
      },
      preValidation: requireRole("viewer"),
    },
    async (request, reply) => {
      const organizationId = callerOf(request).organizationId;
      const f = parseFilters(request.query, wantsCsv(request));
      if (!f.csv) return spec.json(organizationId, f);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${spec.csvName}"`)
        .header("cache-control", "no-store")
        .send(spec.csv(organizationId, f) as never);
    },
  );
}

/** Segments (issue 16): registrations and contacts by their results, across events. */
export function segmentRoutes(app: FastifyInstance, deps: { segments: SegmentService }) {
  const { segments } = deps;
  segmentRoute(app, {
    path: "/api/v1/segments/registrations",
    summary: "Registrations by their results across events, in cursor pages; total counts the segment.",
    row: registrationSegmentRow,
    csvName: "segment-registrations.csv",
    json: segments.registrations,
    csv: segments.registrationsCsv,
  });
  segmentRoute(app, {
    path: "/api/v1/segments/contacts",
    summary:
      "Contacts with at least one registration matching the filters, with sums over those registrations, in cursor pages.",
    row: contactSegmentRow,
    csvName: "segment-contacts.csv",
    json: segments.contacts,
    csv: segments.contactsCsv,
  });
}
