import type { FastifyInstance, FastifyRequest } from "fastify";
import { badRequest } from "../../lib/errors.ts";
import type { Reminders } from "../registrations/reminders.ts";

const TOKEN = /^[A-Za-z0-9_-]{16,200}$/;
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Unsubscribing from reminders and follow-ups. RFC 8058 one-click: mail clients POST
 * `List-Unsubscribe=One-Click` (form-encoded) to the `List-Unsubscribe` URL, with no cookie
 * and no other step; any POST to a known token unsubscribes. A GET (someone clicking the
 * link in the message, or a scanner fetching it) changes nothing: it answers a one-button
 * page that POSTs. The token is in the path, so these routes write no request log lines.
 */
export function unsubscribeRoutes(
  app: FastifyInstance,
  deps: { reminders: Pick<Reminders, "unsubscribe">; onRequest: (request: FastifyRequest) => Promise<void> },
) {
  const { reminders, onRequest } = deps;
  const path = "/api/v1/public/unsubscribe/:token";
  const tokenOf = (request: FastifyRequest) => {
    const token = (request.params as { token: string }).token;
    if (!TOKEN.test(token)) throw badRequest("token: is not an unsubscribe token", "token");
    return token;
  };

  // Encapsulated: form bodies are accepted here only, and their content does not matter.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "string" },
      (_req, body, done) => done(null, body),
    );
    scope.post(path, { schema: { hide: true }, onRequest, logLevel: "warn" }, async (request, reply) => {
      await reminders.unsubscribe(tokenOf(request));
      return reply.header("cache-control", "no-store").send({ status: "unsubscribed" });
    });
    scope.get(path, { schema: { hide: true }, onRequest, logLevel: "warn" }, async (request, reply) => {
      const token = tokenOf(request);
      const action = escapeHtml(`/api/v1/public/unsubscribe/${token}`);
      return reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(
          `<!doctype html><html lang="en"><meta charset="utf-8"><title>Unsubscribe</title>` +
            `<form method="post" action="${action}"><input type="hidden" name="List-Unsubscribe" value="One-Click">` +
            `<p>No more reminders or follow-ups? / Ingen flere påminnelser eller oppfølginger?</p>` +
            `<button type="submit">Unsubscribe / Meld av</button></form></html>`,
        );
    });
  });
}
