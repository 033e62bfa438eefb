import type { FastifyReply, FastifyRequest } from "fastify";
import type { Role } from "../db/schema.ts";
import { forbidden, unauthenticated } from "../lib/errors.ts";

/** Who is calling, resolved once per request from the session cookie or the bearer token. */
export interface Caller {
  userId: string;
  organizationId: string;
  role: Role;
  via: "session" | "token";
  /** The API token's id when `via` is "token" (the audit log names it). */
  tokenId?: string;
  /** The session's token hash, so sign-out and switching organization can find it. */
  sessionHash?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

const RANK: Record<Role, number> = { viewer: 1, marketer: 2, admin: 3, owner: 4 };

export const roleAtLeast = (role: Role, minimum: Role) => RANK[role] >= RANK[minimum];

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw unauthenticated();
  return request.caller;
}

/** A preHandler: the route needs a caller whose role is at least `minimum`. */
export function requireRole(minimum: Role) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const caller = callerOf(request);
    if (!roleAtLeast(caller.role, minimum)) throw forbidden(`This needs the ${minimum} role or higher`);
  };
}

/** A preHandler for routes that only make sense for a signed-in person, not an API token. */
export async function requireSession(request: FastifyRequest) {
  const caller = callerOf(request);
  if (caller.via !== "session") throw forbidden("This needs a signed-in user, not an API token");
}
