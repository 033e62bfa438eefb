import type { FastifyInstance } from "fastify";
import type { Services } from "../../app.ts";
import type { Config } from "../../config/env.ts";

/**
 * Provider webhooks (Zoom, Microsoft Graph change notifications, the open contract):
 * `POST /api/v1/webhooks/{configurationId}`. Filled in by the webhook work of issue 5.
 */
export function webhookRoutes(_app: FastifyInstance, _deps: Services & { config: Config }) {}
