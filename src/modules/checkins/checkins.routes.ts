import type { FastifyInstance } from "fastify";
import type { CheckInService } from "./checkins.service.ts";

export function checkInRoutes(_app: FastifyInstance, _deps: { checkIns: CheckInService }) {}
