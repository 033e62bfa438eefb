import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import type { Config } from "./config/env.ts";
import type { DatabaseHandle } from "./db/database.ts";
import { docsPolicy } from "./http/security-headers.ts";
import { AppError } from "./lib/errors.ts";
import { createRateLimiter } from "./lib/rate-limit.ts";
import { accessRoutes, SESSION_COOKIE } from "./modules/access/access.routes.ts";
import { memberRoutes } from "./modules/access/members.routes.ts";
import type { SignInService } from "./modules/access/sign-in.service.ts";
import { auditRoutes } from "./modules/audit/audit.routes.ts";
import { checkInRoutes } from "./modules/checkins/checkins.routes.ts";
import { contactRoutes } from "./modules/contacts/contacts.routes.ts";
import { emailRoutes } from "./modules/email/email.routes.ts";
import { eventRoutes } from "./modules/events/events.routes.ts";
import { importRoutes } from "./modules/imports/imports.routes.ts";
import { privacyRoutes } from "./modules/privacy/privacy.routes.ts";
import { retentionRoutes } from "./modules/privacy/retention.routes.ts";
import { publicRoutes } from "./modules/public/public.routes.ts";
import { registrantSettingsRoutes } from "./modules/registrations/registrant-settings.routes.ts";
import { registrationRoutes } from "./modules/registrations/registrations.routes.ts";
import { segmentRoutes } from "./modules/segments/segments.routes.ts";
import { webhookEndpointRoutes } from "./modules/webhooks-out/endpoints.routes.ts";
import { webinarConfigurationRoutes } from "./modules/webinars/configurations.routes.ts";
import { dashboardRoutes } from "./modules/webinars/dashboard.routes.ts";
import { demoAccountRoutes } from "./modules/webinars/demo-account.routes.ts";
import { organizerConsentRoutes } from "./modules/webinars/organizer-consent.routes.ts";
import { providerRoutes } from "./modules/webinars/providers.routes.ts";
import { reconciliationRoutes } from "./modules/webinars/reconciliations.routes.ts";
import { webhookRoutes } from "./modules/webinars/webhooks.routes.ts";
import { webinarRoutes } from "./modules/webinars/webinars.routes.ts";

/** What a module's route function takes besides the app. */
type DepsOf<F> = F extends (app: FastifyInstance, deps: infer D) => unknown ? D : never;

/**
 * The services the routes use, as the route functions declare them (the parts built here from
 * the configuration left out). app.ts's `Services` has them all; typed by the routes rather
 * than imported from app.ts, so app.ts and this file do not import each other.
 */
export type RouteServices = DepsOf<typeof auditRoutes> &
  Omit<DepsOf<typeof accessRoutes>, "secureCookies" | "limiter"> &
  DepsOf<typeof memberRoutes> &
  Omit<DepsOf<typeof eventRoutes>, "refill"> &
  DepsOf<typeof contactRoutes> &
  DepsOf<typeof registrationRoutes> &
  DepsOf<typeof registrantSettingsRoutes> &
  DepsOf<typeof checkInRoutes> &
  DepsOf<typeof importRoutes> &
  DepsOf<typeof webinarConfigurationRoutes> &
  Omit<DepsOf<typeof organizerConsentRoutes>, "secureCookies"> &
  DepsOf<typeof webinarRoutes> &
  DepsOf<typeof reconciliationRoutes> &
  DepsOf<typeof webhookRoutes> &
  DepsOf<typeof dashboardRoutes> &
  DepsOf<typeof segmentRoutes> &
  DepsOf<typeof privacyRoutes> &
  DepsOf<typeof retentionRoutes> &
  DepsOf<typeof emailRoutes> &
  DepsOf<typeof webhookEndpointRoutes> &
  Omit<DepsOf<typeof publicRoutes>, "limiter" | "publicUrl"> & {
    registrations: { refillEvent: DepsOf<typeof eventRoutes>["refill"] };
  };

/**
 * The HTTP routes of every module, wired to their services (app.ts builds the services and
 * the app; this is only the wiring). Each rate limiter is built here, one per route group.
 */
export function registerRoutes(
  app: FastifyInstance,
  deps: {
    services: RouteServices;
    config: Config;
    providers: DepsOf<typeof providerRoutes>["providers"];
  },
) {
  const { services, config, providers } = deps;
  auditRoutes(app, services);
  accessRoutes(app, {
    ...services,
    secureCookies: config.secureCookies,
    limiter: createRateLimiter(config.publicRateLimit),
  });
  memberRoutes(app, services);
  eventRoutes(app, {
    ...services,
    eventSessions: services.eventSessions,
    refill: services.registrations.refillEvent,
  });
  contactRoutes(app, services);
  registrationRoutes(app, services);
  registrantSettingsRoutes(app, services);
  checkInRoutes(app, services);
  // Raw CSV bodies (imports). The app's small limit applies unless a route raises it, as the
  // import route does; kept as bytes so the route can refuse non-UTF-8 files.
  app.addContentTypeParser("text/csv", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  importRoutes(app, services);
  webinarConfigurationRoutes(app, services);
  organizerConsentRoutes(app, { ...services, secureCookies: config.secureCookies });
  webinarRoutes(app, services);
  reconciliationRoutes(app, services);
  providerRoutes(app, { providers });
  demoAccountRoutes(app, { demo: config.demo });
  webhookRoutes(app, services);
  dashboardRoutes(app, services);
  segmentRoutes(app, services);
  privacyRoutes(app, services);
  retentionRoutes(app, services);
  emailRoutes(app, services);
  webhookEndpointRoutes(app, services);
  publicRoutes(app, {
    ...services,
    limiter: createRateLimiter(config.publicRateLimit),
    publicUrl: config.publicUrl,
  });
}

/** The API's OpenAPI document (/openapi.json) and its browsable docs (/docs). */
export async function registerApiDocs(app: FastifyInstance) {
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
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true, transformStaticCSP: docsPolicy });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

/**
 * Who is calling: a bearer token or the session cookie; anonymous calls to the private API are
 * refused here, before validation can describe the input.
 */
export function installAuthentication(
  app: FastifyInstance,
  deps: { signIn: Pick<SignInService, "authenticateToken" | "authenticateSession">; publicUrl: string },
) {
  const { signIn, publicUrl } = deps;
  app.addHook("onRequest", async (request) => {
    const cookieToken = request.cookies[SESSION_COOKIE];
    const header = request.headers.authorization;
    // Webhooks authenticate by their signature; Zoom's legacy deliveries also carry an
    // Authorization header that is not ours to check.
    // /metrics checks its own operator token.
    if (header !== undefined && !request.url.startsWith("/webhooks/") && request.url !== "/metrics") {
      const match = /^Bearer (\S{1,200})$/.exec(header);
      const caller = match?.[1] ? await signIn.authenticateToken(match[1]) : null;
      if (!caller) throw new AppError(401, "token_invalid", "The bearer token is unknown or revoked");
      request.caller = caller;
    } else if (cookieToken) {
      request.caller = await signIn.authenticateSession(cookieToken);
      if (request.caller && request.method !== "GET" && request.method !== "HEAD")
        assertSameOrigin(request.headers, publicUrl);
    }
    // Anonymous calls to the private API stop here, before validation can describe the input.
    if (
      !request.caller &&
      /^\/api\/v1\/(?!public\/|auth\/(?:link|login|invitation|sign-in-link|password-reset|microsoft-organizer\/callback)(?:\?|$))/.test(
        request.url,
      )
    )
      throw new AppError(401, "unauthenticated", "Sign in or present an API token");
  });
}

/** Liveness and readiness probes (hidden from the API docs). */
export function registerHealthRoutes(app: FastifyInstance, database: DatabaseHandle) {
  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      await database.db.selectFrom("organizations").select("id").limit(1).execute();
      return { status: "ready", database: database.kind };
    } catch {
      return reply.code(503).send({ status: "unavailable", database: database.kind });
    }
  });
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
