import { z } from "zod";
import { line } from "../../http/schemas.ts";

/**
 * Zoom Server-to-Server OAuth app: account id, client id and secret; the webhook secret token
 * verifies deliveries. Setting `hostUser`: the Zoom user (id or e-mail) who hosts created
 * webinars; "me" is the user who created the app.
 */
export const zoomForm = {
  settings: z.strictObject({ hostUser: line(200).default("me") }),
  credentials: z.strictObject({
    accountId: line(200),
    clientId: line(200),
    clientSecret: line(200),
    webhookSecretToken: line(200),
  }),
};
