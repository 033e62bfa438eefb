import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { AppError } from "../lib/errors.ts";

interface ErrorBody {
  error: { code: string; message: string; field?: string; requestId?: string };
}

const body = (code: string, message: string, field?: string): ErrorBody => ({
  error: field === undefined ? { code, message } : { code, message, field },
});

/** `/contact/email` → `contact.email`; a location prefix for non-body input. */
function fieldName(context: string | undefined, instancePath: string, params: unknown): string | undefined {
  const parts = instancePath.split("/").filter(Boolean);
  const keys = (params as { keys?: string[] } | undefined)?.keys;
  if (keys?.[0]) parts.push(keys[0]);
  if (context === "headers" && parts[0]) return parts[0];
  return parts.length ? parts.join(".") : context === "body" ? undefined : context;
}

// PostgreSQL errors that mean the input was bad, not that the server failed.
const PG_INPUT_ERRORS: Record<string, [number, string]> = {
  "22001": [400, "value_too_long"],
  "22003": [400, "number_out_of_range"],
  "22P02": [400, "invalid_value"],
  "22021": [400, "invalid_encoding"],
  "22P05": [400, "invalid_encoding"],
  "22007": [400, "invalid_date"],
  "22008": [400, "invalid_date"],
  "23505": [409, "conflict"],
};

/**
 * Errors Fastify raises before routing (a malformed percent-escape in the path, a path
 * parameter over `maxParamLength`) bypass `setErrorHandler` and get Fastify's own body.
 * Pass this as the `frameworkErrors` option of `Fastify({...})` to keep one error shape.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 400;
  const code = status === 414 ? "uri_too_long" : "bad_request";
  const message = status === 414 ? "A path segment is too long" : "The URL is not valid";
  reply.code(status).send(body(code, message));
}

/**
 * A server-side failure: logged in full, answered with the request id to quote and a fixed
 * message. What went wrong inside (hosts, paths, SQL, key-provider detail) never reaches the
 * client, whatever the error's own message says.
 */
function serverFailure(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  status: number,
  code: string,
) {
  request.log.error({ err: error }, "request failed");
  return reply
    .code(status)
    .send({ error: { code, message: "Something went wrong on our side", requestId: String(request.id) } });
}

/**
 * One error body shape for every failure: `{ "error": { "code", "message", "field"? } }`;
 * 5xx bodies carry `requestId` instead of any detail.
 */
export function installErrorHandling(app: FastifyInstance) {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(body("not_found", `No route ${request.method} ${request.url.split("?")[0]}`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (error.status >= 500) return serverFailure(request, reply, error, error.status, error.code);
      if (error.status === 429) {
        const seconds = (error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 60;
        reply.header("retry-after", String(seconds));
      }
      return reply.code(error.status).send(body(error.code, error.message, error.field));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0];
      const field = first ? fieldName(error.validationContext, first.instancePath, first.params) : undefined;
      const what = field ? `${field}: ` : "";
      const message = first?.message ?? "invalid input";
      const unknownKey = first?.keyword === "unrecognized_keys";
      return reply
        .code(400)
        .send(body("validation_failed", unknownKey ? `${what}unknown field` : `${what}${message}`, field));
    }
    const pgCode = (error as { code?: string }).code;
    const pgMapped = pgCode ? PG_INPUT_ERRORS[pgCode] : undefined;
    if (pgMapped)
      return reply.code(pgMapped[0]).send(body(pgMapped[1], "The value was refused by the database"));
    const status = error.statusCode ?? 500;
    if (status < 500) {
      const code =
        status === 413 ? "body_too_large" : status === 415 ? "unsupported_media_type" : "bad_request";
      return reply.code(status).send(body(code, error.message));
    }
    return serverFailure(request, reply, error, status, "internal");
  });
}
