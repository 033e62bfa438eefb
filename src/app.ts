import cookie from "@fastify/cookie";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Config } from "./config/env.ts";
import type { DatabaseHandle } from "./db/database.ts";
import { installAdmission } from "./http/admission.ts";
import { frameworkErrorHandler, installErrorHandling } from "./http/errors.ts";
import { installMetrics } from "./http/metrics.ts";
import { installSecurityHeaders } from "./http/security-headers.ts";
import { installWebApp } from "./http/web-app.ts";
import { createSharedRateLimiter } from "./jobs/rate-limiter.ts";
import type { Logger } from "./lib/logger.ts";
import { createGuardedFetch } from "./lib/outbound-guard.ts";
import { createRateLimiter } from "./lib/rate-limit.ts";
import { createMemberService } from "./modules/access/members.service.ts";
import { createPasswordHasher } from "./modules/access/passwords.ts";
import { createSignInService } from "./modules/access/sign-in.service.ts";
import { createSignInLimiter } from "./modules/access/sign-in-limits.ts";
import { createTokenCache } from "./modules/access/token-cache.ts";
import { createTokenService } from "./modules/access/tokens.service.ts";
import { createAuditService } from "./modules/audit/audit.service.ts";
import { installAuditTrail } from "./modules/audit/audit.trail.ts";
import { createCheckInService } from "./modules/checkins/checkins.service.ts";
import { createContactService } from "./modules/contacts/contacts.service.ts";
import { createEmailRepo } from "./modules/email/email.repo.ts";
import { createEmailSender } from "./modules/email/email.sender.ts";
import { createEmailService } from "./modules/email/email.service.ts";
import { createEventSessionService } from "./modules/events/event-sessions.service.ts";
import { createEventService } from "./modules/events/events.service.ts";
import { webinarTypesFromRegistry } from "./modules/events/webinar-types.ts";
import { createImportService } from "./modules/imports/imports.service.ts";
import { createPrivacyService } from "./modules/privacy/privacy.service.ts";
import { createRetentionService } from "./modules/privacy/retention.service.ts";
import { isSuppressed, suppressedAmong } from "./modules/privacy/suppression.ts";
import { createPublicService } from "./modules/public/public.service.ts";
import { createEventNotices } from "./modules/registrations/event-notices.ts";
import { createRegistrantEmails } from "./modules/registrations/registrant-emails.ts";
import { bothNotices, type RegistrantNotices } from "./modules/registrations/registrant-notices.ts";
import { createRegistrantSettingsService } from "./modules/registrations/registrant-settings.service.ts";
import { createRegistrationService } from "./modules/registrations/registrations.service.ts";
import { createReminders } from "./modules/registrations/reminders.ts";
import { createSegmentService } from "./modules/segments/segments.service.ts";
import { createWebhookDelivery } from "./modules/webhooks-out/delivery.ts";
import { createWebhookEmitter } from "./modules/webhooks-out/emit.ts";
import { createEndpointService } from "./modules/webhooks-out/endpoints.service.ts";
import { sweepWebhookHistory } from "./modules/webhooks-out/history.ts";
import { createSecretStore } from "./modules/webhooks-out/secrets.ts";
import { createConfigurationService } from "./modules/webinars/configurations.service.ts";
import { createDashboardService } from "./modules/webinars/dashboard.service.ts";
import { createWebinarEventHooks } from "./modules/webinars/event-hooks.ts";
import { createOrganizerConsentService } from "./modules/webinars/organizer-consent.service.ts";
import { createOrganizerTokens } from "./modules/webinars/organizer-tokens.ts";
import { createReconciliationService } from "./modules/webinars/reconciliations.service.ts";
import { joinLinkOf, joinLinksOf, recordingLinkOf } from "./modules/webinars/registration-webinars.ts";
import { createSyncWorker } from "./modules/webinars/sync/index.ts";
import { createPeopleMatcher } from "./modules/webinars/sync/people.ts";
import { createSyncPlanner } from "./modules/webinars/sync/planner.ts";
import { createWebhookApplier } from "./modules/webinars/webhooks/apply.ts";
import {
  createWebhookReceiver,
  WEBHOOK_RATE,
  WEBHOOK_REJECT_RATE,
} from "./modules/webinars/webhooks/receiver.ts";
import { createWebinarService } from "./modules/webinars/webinars.service.ts";
import { installAuthentication, registerApiDocs, registerHealthRoutes, registerRoutes } from "./routes.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Keys, queue, gate and providers; built here when not given (tests). */
  runtime?: Runtime;
  /** A second listener to what registrants are told (by email): tests act as the recipient through it. */
  alsoNotify?: RegistrantNotices;
}

/** How long a password check waits for a free hashing slot before answering 503 busy. */
const PASSWORD_HASH_MAX_WAIT_MS = 2000;

/** Largest JSON body: generous for real payloads, small enough that abuse is cheap to refuse. */
const BODY_LIMIT = 256 * 1024;

/**
 * The one composition root: services are built from explicit dependencies here and handed
 * to the HTTP routes. Nothing else constructs a service.
 */
export function createServices({
  config,
  database,
  logger,
  runtime,
  alsoNotify,
}: Pick<AppDeps, "config" | "database" | "logger" | "alsoNotify"> & { runtime: Runtime }) {
  const { db } = database;
  const { queue, gate, envelope, providers } = runtime;
  const planner = createSyncPlanner({ queue });
  const passwords = createPasswordHasher({
    maxConcurrent: config.passwordHashConcurrency,
    maxWaitMs: PASSWORD_HASH_MAX_WAIT_MS,
  });
  const emailRepo = createEmailRepo({ db });
  const email = createEmailService({ db, queue, repo: emailRepo, delivery: runtime.mail ? "smtp" : "kept" });
  // Built only where a server is configured; started by the worker (main.ts).
  const emailSender = runtime.mail
    ? createEmailSender({
        db,
        queue,
        repo: emailRepo,
        transport: runtime.mail,
        limiter: createSharedRateLimiter({ db, buckets: "email" }),
        from: config.email.from,
        messageIdHost: new URL(config.publicUrl).hostname,
        render: email.rendered,
        logger,
        tuning: {
          maxAttempts: config.email.maxAttempts,
          ratePerSecond: config.email.ratePerSecond,
          backoffSeconds: config.email.retrySeconds,
        },
      })
    : null;
  // Verified API tokens for a moment (every API request presented one to the database).
  const tokenCache = createTokenCache();
  const signIn = createSignInService({
    db,
    config,
    mail: email,
    passwords,
    signInLimits: createSignInLimiter({ db }),
    tokenCache,
  });
  const audit = createAuditService({ db });
  // Outgoing webhooks: the modules that change facts emit in their transactions.
  const emitWebhookEvent = createWebhookEmitter({ queue });
  const webhookSecrets = createSecretStore({ envelope });
  const webhookEndpoints = createEndpointService({
    db,
    queue,
    secrets: webhookSecrets,
    allowPrivateHosts: config.allowPrivateHosts,
  });
  const webhookDelivery = createWebhookDelivery({
    db,
    queue,
    secrets: webhookSecrets,
    audit,
    // Tenant-chosen URLs: checked at connect time, no redirect followed.
    fetch: createGuardedFetch(config.allowPrivateHosts),
    logger,
    tuning: {
      timeoutMs: config.webhooks.timeoutMs,
      retryBaseSeconds: config.webhooks.retryBaseSeconds,
      disableAfterSeconds: config.webhooks.disableAfterSeconds,
    },
  });
  const members = createMemberService({ db, mail: email, audit, publicUrl: config.publicUrl, tokenCache });
  const tokens = createTokenService({ db, tokenCache });
  const contacts = createContactService({ db });
  const registrantSettings = createRegistrantSettingsService({ db, queue });
  const webinarHooks = createWebinarEventHooks({ planner });
  // Event changes reach the webinar integration and the registrants' notices (both hooks).
  const eventNotices = createEventNotices({
    db,
    queue,
    email,
    senders: registrantSettings,
    joinLinkOf,
    publicUrl: config.publicUrl,
  });
  const eventHooks: typeof webinarHooks = {
    ...webinarHooks,
    async eventChanged(trx, event) {
      await webinarHooks.eventChanged(trx, event);
      await eventNotices.changed(trx, event.id);
    },
    async sessionChanged(trx, session, event) {
      await webinarHooks.sessionChanged(trx, session, event);
      await eventNotices.changed(trx, event.id);
    },
  };
  const events = createEventService({
    db,
    hooks: eventHooks,
    webinarTypes: webinarTypesFromRegistry(providers),
  });
  const eventSessions = createEventSessionService({ db, events, hooks: eventHooks });
  const registrantEmails = createRegistrantEmails({
    email,
    publicUrl: config.publicUrl,
    senders: registrantSettings,
  });
  const publicPages = createPublicService({ db, joinLinkOf, joinLinksOf });
  const reminders = createReminders({
    db,
    email,
    senders: registrantSettings,
    joinLinkOf,
    recordingLinkOf,
    publicUrl: config.publicUrl,
  });
  const notices = alsoNotify ? bothNotices(registrantEmails, alsoNotify) : registrantEmails;
  const registrations = createRegistrationService({
    db,
    contacts,
    events,
    registrationsChanged: planner.registrationsChanged,
    batchesUncapped: config.intake.batchesUncapped,
    isSuppressed,
    suppressedAmong,
    notices,
    registrantSettings,
    emitWebhookEvent,
  });
  const checkIns = createCheckInService({ db, events });
  const imports = createImportService({ db, registrations, events, logger });
  // The connected Teams organizer's delegated tokens go with every Teams account loaded for a call.
  const organizerTokens = createOrganizerTokens({ db, envelope, consent: providers.teams.organizerConsent });
  const configurations = createConfigurationService({ db, envelope, gate, queue, organizerTokens });
  const organizerConsent = createOrganizerConsentService({
    db,
    envelope,
    configurations,
    consent: providers.teams.organizerConsent,
    tokens: organizerTokens,
    audit,
    publicUrl: config.publicUrl,
  });
  const webinars = createWebinarService({ db, queue });
  const reconciliations = createReconciliationService({ db, queue });
  const dashboard = createDashboardService({ db, events });
  const segments = createSegmentService({ db });
  const privacy = createPrivacyService({ db, queue, envelope, contacts, registrations, emitWebhookEvent });
  const retention = createRetentionService({ db, audit });
  // Provider changes (webhooks and reconciliation) go through the same planner and cancellation as every
  // other change, and matched to people by one matcher.
  const people = createPeopleMatcher({ contacts });
  const applyProviderEvents = createWebhookApplier({ queue, people, registrations, emitWebhookEvent });
  const syncWorker = createSyncWorker({
    database,
    people,
    applyProviderEvents,
    queue,
    providers,
    configurations,
    contacts,
    gate,
    envelope,
    logger,
    emitWebhookEvent,
    options: {
      concurrency: config.workerConcurrency,
      pollPlan: {
        fastSeconds: config.metricsPollSeconds,
        tailDays: config.attendanceTailDays,
        tailSeconds: config.attendanceTailSeconds,
        tailMaxSeconds: Math.max(7 * 24 * 3600, config.attendanceTailSeconds),
      },
      tuning: {
        quotaPauseSeconds: config.quotaPauseSeconds,
        maxAttempts: config.syncMaxAttempts,
        retryCapSeconds: config.syncRetryMaxSeconds,
      },
      lease: config.lease,
      reconcilePlan: { intervalMinutes: config.reconcileMinutes },
      // Where providers deliver change notifications (Graph subscriptions are created by workers).
      publicUrl: config.publicUrl,
    },
  });
  const webhookReceiver = createWebhookReceiver({
    db,
    configurations,
    providers,
    clientStates: syncWorker.subscriptions.clientStates,
    apply: applyProviderEvents,
    limiter: createRateLimiter(WEBHOOK_RATE),
    rejectLimiter: createRateLimiter(WEBHOOK_REJECT_RATE),
    logger,
  });
  return {
    webhookReceiver,
    segments,
    publicPages,
    audit,
    passwords,
    email,
    emailSender,
    signIn,
    members,
    tokens,
    contacts,
    events,
    eventSessions,
    registrations,
    registrantSettings,
    reminders,
    eventNotices,
    checkIns,
    imports,
    configurations,
    organizerConsent,
    webinars,
    reconciliations,
    dashboard,
    syncWorker,
    providers,
    privacy,
    retention,
    emitWebhookEvent,
    webhookEndpoints,
    webhookDelivery,
    sweepWebhookHistory: () => sweepWebhookHistory(db, config.webhooks.retentionDays),
  };
}

export type Services = ReturnType<typeof createServices>;

export async function buildApp(
  deps: AppDeps,
): Promise<{ app: FastifyInstance; services: Services; runtime: Runtime }> {
  const { config, database, logger } = deps;
  const ownRuntime = deps.runtime ? null : await createRuntime({ config, database, logger });
  const runtime = deps.runtime ?? (ownRuntime as Runtime);
  const services = createServices({ ...deps, runtime });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOption(config.trustProxy),
    requestIdHeader: "x-request-id",
    // Errors Fastify raises before routing (bad percent-escapes, over-long parameters) get our body too.
    frameworkErrors: frameworkErrorHandler,
    // Registering the API's docs plugins took over Fastify's default 10 s on a machine at load
    // average 30 (a start-up failure, seen in the test suite); a slow start is not a failed one.
    pluginTimeout: 60_000,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  await installSecurityHeaders(app);
  await app.register(cookie);
  await registerApiDocs(app);

  // Before authentication: a refused registration costs no query (src/http/admission.ts).
  installAdmission(app, config.intake);
  app.decorateRequest("caller", null);
  installAuthentication(app, { signIn: services.signIn, publicUrl: config.publicUrl });

  installMetrics(app, { token: config.metricsToken });
  registerHealthRoutes(app, database);

  // Before the routes: the trail learns each route's declared audit action as it is added.
  installAuditTrail(app, services);
  registerRoutes(app, { services, config, providers: runtime.providers });
  // Imports left pending or half-done by a stop or crash continue once the app is ready;
  // closing finishes the batch in flight so the database is not closed under it.
  app.addHook("onReady", async () => {
    await services.imports.resumeUnfinished();
  });
  app.addHook("onClose", async () => {
    await services.imports.stop();
    await services.syncWorker.stop();
    await ownRuntime?.close();
  });
  await installWebApp(app, config);

  return { app, services, runtime };
}

/**
 * Fastify 5 treats a bare hop count as "trust nobody", so hops become a function: the socket
 * peer and the next `hops - 1` addresses are our proxies, and the client is the one before them.
 */
function trustProxyOption(
  trust: Config["trustProxy"],
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return trust;
}
