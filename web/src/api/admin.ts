import { call } from "./client.ts";
import type { Page, Role } from "./types.ts";

/** The organization's people and access: members, invitations, API tokens, the audit log. */
export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
  expiresAt: string;
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: string;
  action: string;
  targetType: string;
  targetId: string | null;
  actor: { kind: "user" | "token" | "system"; userId: string | null; tokenId: string | null };
  details: Record<string, unknown>;
  requestId: string | null;
  createdAt: string;
}

export interface AuditQuery {
  action?: string;
  actorUserId?: string;
  targetId?: string;
  since?: string;
  until?: string;
  cursor?: string;
  limit?: number;
}

const v1 = "/api/v1";
const id = encodeURIComponent;

export const adminApi = {
  members: () => call<{ data: Member[] }>("GET", `${v1}/members`),
  invitations: () => call<{ data: Invitation[] }>("GET", `${v1}/members/invitations`),
  invite: (input: { email: string; name: string; role: Role; language: "en" | "nb" }) =>
    call<Invitation>("POST", `${v1}/members`, input),
  withdrawInvitation: (invitationId: string) =>
    call("DELETE", `${v1}/members/invitations/${id(invitationId)}`),
  changeRole: (userId: string, role: Role) => call("PATCH", `${v1}/members/${id(userId)}`, { role }),
  removeMember: (userId: string) => call("DELETE", `${v1}/members/${id(userId)}`),

  apiTokens: () => call<{ data: ApiToken[] }>("GET", `${v1}/api-tokens`),
  createApiToken: (input: { name: string; role: Role }) =>
    call<ApiToken & { token: string }>("POST", `${v1}/api-tokens`, input),
  revokeApiToken: (tokenId: string) => call("DELETE", `${v1}/api-tokens/${id(tokenId)}`),

  audit: (query: AuditQuery) => call<Page<AuditEntry>>("GET", `${v1}/audit`, undefined, { ...query }),
};
