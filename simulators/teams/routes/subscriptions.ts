// Change-notification subscriptions (api/subscription-post-subscriptions.md, subscription-update.md,
// subscription-delete.md) restricted to the virtual-event resources
// (concepts/changenotifications-for-virtualevent.md): at most one day, validation handshake on create.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type GraphCtx, GraphError, graphRoute, page } from "../http.ts";
import { handshake } from "../notify.ts";
import type { TeamsSimState } from "../state.ts";
import type { SimSubscription } from "../types.ts";

const RESOURCES: { pattern: RegExp; changeTypes: string[] }[] = [
  { pattern: /^solutions\/virtualEvents\/webinars\/([^/]+)$/i, changeTypes: ["updated"] },
  {
    pattern: /^solutions\/virtualEvents\/(?:webinars|townhalls)\/([^/]+)\/sessions$/i,
    changeTypes: ["created", "updated"],
  },
  {
    pattern: /^solutions\/virtualEvents\/webinars\/([^/]+)\/registrations$/i,
    changeTypes: ["created", "updated"],
  },
  {
    pattern: /^solutions\/virtualEvents\/(?:webinars|townhalls)\/([^/]+)\/getAttendanceReports$/i,
    changeTypes: ["created"],
  },
];

/** Any value under 45 minutes is raised to 45 minutes (resources/subscription.md). */
const MIN_LIFETIME_MS = 45 * 60_000;
/** Teams resources need a lifecycle URL when the subscription lives over an hour. */
const LIFECYCLE_REQUIRED_AFTER_MS = 60 * 60_000;
const MAX_CLIENT_STATE = 128;

export function renderSubscription(s: SimSubscription) {
  return {
    id: s.id,
    resource: s.resource,
    changeType: s.changeType,
    clientState: s.clientState,
    notificationUrl: s.notificationUrl,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: s.expirationDateTime.toISOString(),
    applicationId: s.clientId,
    creatorId: s.clientId,
    includeResourceData: false,
    latestSupportedTlsVersion: "v1_2",
  };
}

function expiration(ctx: GraphCtx): Date {
  const raw = ctx.body.expirationDateTime;
  const at = typeof raw === "string" ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(at))
    throw new GraphError(400, "BadRequest", "expirationDateTime is required and must be a date.");
  const max = ctx.state.knobs.maxSubscriptionMinutes;
  if (at > Date.now() + max * 60_000) {
    throw new GraphError(
      400,
      "InvalidRequest",
      `Subscription expiration can only be ${max} minutes in the future.`,
    );
  }
  if (at <= Date.now())
    throw new GraphError(400, "InvalidRequest", "Subscription expiration must be in the future.");
  return new Date(Math.max(at, Date.now() + MIN_LIFETIME_MS));
}

function live(ctx: GraphCtx): SimSubscription {
  const s = ctx.state.subscriptions.get(ctx.params.sid ?? "");
  // Graph removes expired subscriptions: renewing one is a 404.
  if (!s || s.tenantId !== ctx.grant.tenantId || s.expirationDateTime.getTime() <= Date.now()) {
    throw new GraphError(404, "ResourceNotFound", "The object was not found.");
  }
  return s;
}

export function subscriptionRoutes(app: FastifyInstance, state: TeamsSimState): void {
  graphRoute(app, state, "POST", "/subscriptions", async (ctx) => {
    const { body } = ctx;
    const resource = typeof body.resource === "string" ? body.resource.replace(/^\/+/, "") : "";
    const changeType = typeof body.changeType === "string" ? body.changeType : "";
    const rule = RESOURCES.find((r) => r.pattern.test(resource));
    if (!rule) throw new GraphError(400, "InvalidRequest", "Unsupported resource for change notifications.");
    const types = changeType
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    if (types.length === 0 || types.some((t) => !rule.changeTypes.includes(t))) {
      throw new GraphError(
        400,
        "InvalidRequest",
        `changeType must be among: ${rule.changeTypes.join(", ")}.`,
      );
    }
    const eventId = decodeURIComponent(rule.pattern.exec(resource)?.[1] ?? "");
    const ev = state.events.get(eventId);
    if (!ev || ev.tenantId !== ctx.grant.tenantId)
      throw new GraphError(404, "NotFound", "The requested virtual event was not found.");
    if (!state.app(ctx.grant.tenantId, ctx.grant.clientId)?.accessPolicy) {
      throw new GraphError(403, "Forbidden", "No application access policy found for this app.");
    }
    if (typeof body.notificationUrl !== "string")
      throw new GraphError(400, "BadRequest", "notificationUrl is required.");
    const clientState = typeof body.clientState === "string" ? body.clientState : null;
    if (clientState !== null && clientState.length > MAX_CLIENT_STATE) {
      throw new GraphError(400, "BadRequest", `clientState is limited to ${MAX_CLIENT_STATE} characters.`);
    }
    // "An application can only have a single registration level subscription per webinar inside a
    // tenant" (and the same for sessions and the webinar itself). Graph's status for the refusal is
    // not documented; 409 here.
    const taken = [...state.subscriptions.values()].some(
      (s) =>
        s.tenantId === ctx.grant.tenantId &&
        s.clientId === ctx.grant.clientId &&
        s.resource.toLowerCase() === resource.toLowerCase() &&
        s.expirationDateTime.getTime() > Date.now(),
    );
    if (taken)
      throw new GraphError(
        409,
        "Conflict",
        "A subscription for this resource already exists for the application.",
      );
    const expires = expiration(ctx);
    const lifecycle =
      typeof body.lifecycleNotificationUrl === "string" ? body.lifecycleNotificationUrl : null;
    if (!lifecycle && expires.getTime() - Date.now() > LIFECYCLE_REQUIRED_AFTER_MS) {
      throw new GraphError(
        400,
        "ValidationError",
        "lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.",
      );
    }
    for (const url of new Set([body.notificationUrl, ...(lifecycle ? [lifecycle] : [])])) {
      if (!(await handshake(url))) {
        throw new GraphError(
          400,
          "ValidationError",
          "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.",
        );
      }
    }
    const sub: SimSubscription = {
      id: randomUUID(),
      tenantId: ctx.grant.tenantId,
      clientId: ctx.grant.clientId,
      resource,
      changeType: types.join(","),
      notificationUrl: body.notificationUrl,
      lifecycleNotificationUrl: lifecycle,
      clientState,
      expirationDateTime: expires,
    };
    state.subscriptions.set(sub.id, sub);
    return { status: 201, body: renderSubscription(sub) };
  });
  graphRoute(app, state, "GET", "/subscriptions", (ctx) => {
    const mine = [...state.subscriptions.values()].filter(
      (s) =>
        s.tenantId === ctx.grant.tenantId &&
        s.clientId === ctx.grant.clientId &&
        s.expirationDateTime.getTime() > Date.now(),
    );
    return page(ctx, mine.map(renderSubscription), "/subscriptions");
  });
  graphRoute(app, state, "GET", "/subscriptions/:sid", (ctx) => ({
    status: 200,
    body: renderSubscription(live(ctx)),
  }));
  graphRoute(app, state, "PATCH", "/subscriptions/:sid", (ctx) => {
    const sub = live(ctx);
    sub.expirationDateTime = expiration(ctx);
    return { status: 200, body: renderSubscription(sub) };
  });
  graphRoute(app, state, "DELETE", "/subscriptions/:sid", (ctx) => {
    const sub = live(ctx);
    state.subscriptions.delete(sub.id);
    return { status: 204 };
  });
}
