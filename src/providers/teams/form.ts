import { z } from "zod";
import { line } from "../../http/schemas.ts";

/** A Microsoft Entra app registration with application permissions, in one tenant. */
export const teamsForm = {
  settings: z.strictObject({
    tenantId: z.string().uuid("must be the Microsoft Entra tenant id (a GUID)"),
    organizerUserId: z.string().uuid("must be the organizer's Entra user id (a GUID)"),
  }),
  credentials: z.strictObject({
    clientId: line(200),
    clientSecret: line(200),
  }),
};
