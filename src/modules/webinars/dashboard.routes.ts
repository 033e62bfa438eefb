import type { FastifyInstance } from "fastify";
import type { Services } from "../../app.ts";

/** The webinar dashboard's numbers per event and per session (issue 6). */
export function dashboardRoutes(_app: FastifyInstance, _services: Services) {}
