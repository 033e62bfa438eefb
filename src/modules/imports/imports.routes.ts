import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { callerOf, requireRole } from "../../http/auth.ts";
import { errorResponses, idParams, page } from "../../http/schemas.ts";
import { AppError } from "../../lib/errors.ts";
import { importQuery, importResponse, listImportsQuery } from "./imports.schemas.ts";
import type { ImportService } from "./imports.service.ts";

/** Only the import route takes bodies this large; every other route keeps the app's small limit. */
export const IMPORT_BODY_LIMIT = 50 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The upload as text; spreadsheets often save in a legacy encoding, which we refuse rather than garble. */
function csvText(body: unknown): string {
  if (!Buffer.isBuffer(body))
    throw new AppError(
      415,
      "unsupported_media_type",
      "Send the CSV file as the body with Content-Type: text/csv",
    );
  if (body.length === 0)
    throw new AppError(400, "missing_header", "The file is empty: a header row is required");
  try {
    return utf8.decode(body);
  } catch {
    throw new AppError(400, "invalid_encoding", "The file is not UTF-8 text; save it as CSV UTF-8");
  }
}

/** Documents the CSV answer; the stream itself bypasses serialization. */
const csvBody = z.string().describe("CSV, UTF-8, CRLF line ends");

const csvFile = (name: string) => `attachment; filename="${name}"`;

export function importRoutes(app: FastifyInstance, deps: { imports: ImportService }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { imports } = deps;
  const tags = ["imports"];
  const viewer = requireRole("viewer");

  r.post(
    "/api/v1/events/:id/imports",
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        tags,
        summary:
          "Import registrations from a CSV file (Content-Type: text/csv, UTF-8, up to 50 MB). Columns: email, first_name, last_name, company, job_title, sessions (session ids separated by ;). Rows are registered in the background.",
        consumes: ["text/csv"],
        params: idParams,
        querystring: importQuery,
        response: { 202: importResponse, ...errorResponses },
      },
      preHandler: requireRole("marketer"),
    },
    async (request, reply) => {
      const created = await imports.create(
        callerOf(request),
        request.params.id,
        csvText(request.body),
        request.query.fileName,
      );
      return reply.code(202).send(created);
    },
  );

  r.get(
    "/api/v1/events/:id/imports",
    {
      schema: {
        tags,
        summary: "Imports of an event, newest first",
        params: idParams,
        querystring: listImportsQuery,
        response: { 200: page(importResponse), ...errorResponses },
      },
      preHandler: viewer,
    },
    async (request) => imports.list(callerOf(request).organizationId, request.params.id, request.query),
  );

  r.get(
    "/api/v1/imports/:id",
    {
      schema: {
        tags,
        summary: "An import and its progress",
        params: idParams,
        response: { 200: importResponse, ...errorResponses },
      },
      preHandler: viewer,
    },
    async (request) => imports.get(callerOf(request).organizationId, request.params.id),
  );

  r.get(
    "/api/v1/imports/:id/errors.csv",
    {
      schema: {
        tags,
        summary: "The rows an import refused, as CSV: row (the header is row 1), field, message",
        produces: ["text/csv"],
        params: idParams,
        response: { 200: csvBody, ...errorResponses },
      },
      preHandler: viewer,
    },
    async (request, reply) => {
      const stream = await imports.errorReport(callerOf(request).organizationId, request.params.id);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", csvFile(`import-${request.params.id}-errors.csv`))
        .send(stream as never); // streamed as is: Fastify does not serialize streams
    },
  );

  r.get(
    "/api/v1/events/:id/registrations.csv",
    {
      schema: {
        tags: ["registrations"],
        summary: "All registrations of an event as CSV (re-importable; formula-like cells get a leading ')",
        produces: ["text/csv"],
        params: idParams,
        response: { 200: csvBody, ...errorResponses },
      },
      preHandler: viewer,
    },
    async (request, reply) => {
      const stream = await imports.exportRegistrations(callerOf(request).organizationId, request.params.id);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", csvFile(`registrations-${request.params.id}.csv`))
        .send(stream as never); // streamed as is: Fastify does not serialize streams
    },
  );
}
