import { z } from "zod";
import { line } from "../../http/schemas.ts";

/** Zoom Server-to-Server OAuth app: account id, client id and secret; the webhook secret token verifies deliveries. */
export const zoomForm = {
  settings: z.strictObject({}),
  credentials: z.strictObject({
    accountId: line(200),
    clientId: line(200),
    clientSecret: line(200),
    webhookSecretToken: line(200),
  }),
};
