import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Config } from "./config/env.ts";
import type { DatabaseHandle } from "./db/database.ts";
import { installErrorHandling } from "./http/errors.ts";
import { installMetrics } from "./http/metrics.ts";
import { AppError } from "./lib/errors.ts";
import type { Logger } from "./lib/logger.ts";
import { createRateLimiter } from "./lib/rate-limit.ts";
import { accessRoutes, SESSION_COOKIE } from "./modules/access/access.routes.ts";
import { createMemberService } from "./modules/access/members.service.ts";
import { createSessionService } from "./modules/access/sessions.service.ts";
import { createTokenService } from "./modules/access/tokens.service.ts";
import { checkInRoutes } from "./modules/checkins/checkins.routes.ts";
import { createCheckInService } from "./modules/checkins/checkins.service.ts";
import { contactRoutes } from "./modules/contacts/contacts.routes.ts";
import { createContactService } from "./modules/contacts/contacts.service.ts";
import { eventRoutes } from "./modules/events/events.routes.ts";
import { createEventService } from "./modules/events/events.service.ts";
import { importRoutes } from "./modules/imports/imports.routes.ts";
import { createImportService } from "./modules/imports/imports.service.ts";
import { publicRoutes } from "./modules/public/public.routes.ts";
import { registrationRoutes } from "./modules/registrations/registrations.routes.ts";
import { createRegistrationService } from "./modules/registrations/registrations.service.ts";

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
}

/** Largest JSON body: generous for real payloads, small enough that abuse is cheap to refuse. */
const BODY_LIMIT = 256 * 1024;

/**
 * The one composition root: services are built from explicit dependencies here and handed
 * to the HTTP routes. Nothing else constructs a service.
 */
export function createServices({ config, database }: Pick<AppDeps, "config" | "database">) {
  const { db } = database;
  const sessions = createSessionService({ db, config });
  const members = createMemberService({ db, sessions });
  const tokens = createTokenService({ db });
  const contacts = createContactService({ db });
  const events = createEventService({ db });
  const registrations = createRegistrationService({ db, contacts, events });
  const checkIns = createCheckInService({ db });
  const imports = createImportService({ db, registrations });
  return { sessions, members, tokens, contacts, events, registrations, checkIns, imports };
}

export type Services = ReturnType<typeof createServices>;

export async function buildApp(deps: AppDeps): Promise<{ app: FastifyInstance; services: Services }> {
  const { config, database, logger } = deps;
  const services = createServices(deps);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy,
    disableRequestLogging: false,
    // Query strings can carry sign-in tokens: log the path only.
    requestIdHeader: "x-request-id",
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Auditorium API",
        version: "1",
        description:
          "Event management with webinar integration. Authenticate with the session cookie or `Authorization: Bearer aud_…`.",
      },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.decorateRequest("caller", null);
  app.addHook("onRequest", async (request) => {
    const cookieToken = request.cookies[SESSION_COOKIE];
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer (\S{1,200})$/.exec(header);
      const caller = match?.[1] ? await services.sessions.authenticateToken(match[1]) : null;
      if (!caller) throw new AppError(401, "token_invalid", "The bearer token is unknown or revoked");
      request.caller = caller;
    } else if (cookieToken) {
      request.caller = await services.sessions.authenticateSession(cookieToken);
      if (request.caller && request.method !== "GET" && request.method !== "HEAD")
        assertSameOrigin(request.headers, config.publicUrl);
    }
  });

  installMetrics(app);
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      await database.db.selectFrom("organizations").select("id").limit(1).execute();
      return { status: "ready", database: database.kind };
    } catch {
      return reply.code(503).send({ status: "unavailable", database: database.kind });
    }
  });
  app.get("/", { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type("text/html")
      .send(
        '<!doctype html><meta charset="utf-8"><title>Auditorium</title><h1>Auditorium</h1><p>The API is at <a href="/docs">/docs</a>.</p>',
      ),
  );

  accessRoutes(app, { ...services, secureCookies: config.secureCookies });
  eventRoutes(app, { ...services, refill: services.registrations.refillEvent });
  contactRoutes(app, services);
  registrationRoutes(app, { ...services, db: database.db });
  checkInRoutes(app, services);
  importRoutes(app, services);
  publicRoutes(app, {
    ...services,
    db: database.db,
    limiter: createRateLimiter(config.publicRateLimit),
  });

  return { app, services };
}

/**
 * Cookie sessions are SameSite=Strict; as a second line against cross-site requests, a
 * browser-sent Origin must be our own.
 */
function assertSameOrigin(headers: Record<string, string | string[] | undefined>, publicUrl: string) {
  const origin = headers.origin;
  if (typeof origin !== "string") return;
  const host = headers.host;
  const allowed = new Set([new URL(publicUrl).origin, `http://${host}`, `https://${host}`]);
  if (!allowed.has(origin))
    throw new AppError(403, "cross_origin", "Cross-origin requests with a session are refused");
}
