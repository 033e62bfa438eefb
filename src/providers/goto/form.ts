import { z } from "zod";
import { line } from "../../http/schemas.ts";

/**
 * GoTo OAuth client plus the organizer's refresh token. The organizer key is required and is a
 * string: it is an int64 that exceeds 2^53, and GoTo's current refresh answer does not carry it.
 */
export const gotoForm = {
  settings: z.strictObject({
    organizerKey: z.string().regex(/^\d{1,19}$/, "must be the numeric GoTo organizer key (up to 19 digits)"),
  }),
  credentials: z.strictObject({
    clientId: line(200),
    clientSecret: line(200),
    refreshToken: line(2000),
  }),
};
