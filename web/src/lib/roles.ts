import type { Role } from "../api/types.ts";

/** Highest first, as the API ranks them. */
export const ROLES: Role[] = ["owner", "admin", "marketer", "viewer"];

/**
 * The roles a caller may grant to or take from a member, as the API enforces them: an admin
 * manages marketers and viewers; only an owner grants or removes admin and owner.
 */
export function grantable(callerRole: Role): Role[] {
  return callerRole === "owner" ? ROLES : ROLES.filter((r) => r === "marketer" || r === "viewer");
}

/** The roles an API token of this caller may have: none above the caller's own. */
export function upTo(callerRole: Role): Role[] {
  return ROLES.slice(ROLES.indexOf(callerRole));
}
