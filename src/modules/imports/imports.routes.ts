import type { FastifyInstance } from "fastify";
import type { ImportService } from "./imports.service.ts";

export function importRoutes(_app: FastifyInstance, _deps: { imports: ImportService }) {}
