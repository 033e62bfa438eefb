import { z } from "zod";
import { line } from "../../http/schemas.ts";

/** Only plain http(s) origins with an optional path: no credentials, query or fragment in the URL. */
export function isContractBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === "https:" || url.protocol === "http:") &&
    url.username === "" &&
    url.password === "" &&
    url.search === "" &&
    url.hash === ""
  );
}

/**
 * Any service that speaks docs/provider-contract.openapi.json: its base URL, optionally the
 * service's webinar type to create webinars with, and OAuth2 client credentials.
 *
 * `webhookSecret` is required although a service need not send webhooks: the credential
 * store treats every field of this shape as required (`isComplete`/`openAll` return nothing
 * until all are set), so an optional field would leave a configuration without it switched
 * off. A service that sends no webhooks is given any random value.
 */
export const httpContractForm = {
  settings: z.strictObject({
    baseUrl: z
      .string()
      .max(500)
      .refine(
        isContractBaseUrl,
        "must be the service's http(s) base URL, without credentials, query or fragment",
      ),
    webinarType: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, "must be a webinar type id from the service's GET /webinar-types")
      .optional(),
  }),
  credentials: z.strictObject({
    clientId: line(200),
    clientSecret: line(200),
    webhookSecret: line(200),
  }),
};
