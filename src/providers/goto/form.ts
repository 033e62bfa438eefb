import { z } from "zod";
import { line } from "../../http/schemas.ts";

/** GoTo OAuth client plus the organizer's refresh token; the organizer key is a string (it exceeds 2^53). */
export const gotoForm = {
  settings: z.strictObject({
    organizerKey: z.string().regex(/^\d{1,30}$/, "must be the numeric GoTo organizer key"),
  }),
  credentials: z.strictObject({
    clientId: line(200),
    clientSecret: line(200),
    refreshToken: line(2000),
  }),
};
