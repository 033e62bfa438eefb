import type { FastifyInstance } from "fastify";

/** `GET /api/v1/webinar-providers`: each provider's settings, credential fields and webinar types. */
export function providerRoutes(_app: FastifyInstance) {}
