import { z } from "zod";
import { line } from "../../http/schemas.ts";

/** Any service that speaks docs/provider-contract.openapi.json: its base URL and OAuth2 client credentials. */
export const httpContractForm = {
  settings: z.strictObject({
    baseUrl: z.string().url("must be the service's base URL").max(500),
  }),
  credentials: z.strictObject({
    clientId: line(200),
    clientSecret: line(200),
    webhookSecret: line(200).optional(),
  }),
};
