import { z } from "zod";
import { line } from "../../http/schemas.ts";
import type { ProviderKind } from "../../providers/contract.ts";
import { gotoForm } from "../../providers/goto/form.ts";
import { httpContractForm } from "../../providers/http-contract/form.ts";
import { teamsForm } from "../../providers/teams/form.ts";
import { zoomForm } from "../../providers/zoom/form.ts";

/**
 * Per provider: its non-secret settings and its write-only credential fields. Exhaustive
 * over ProviderKind, so a new provider fails the build until it is described here.
 */
export const PROVIDER_FORMS: Record<
  ProviderKind,
  { settings: z.ZodType<Record<string, string>>; credentials: z.ZodObject }
> = {
  on24: {
    settings: z.strictObject({ region: z.enum(["NA", "EU"]).default("NA") }),
    credentials: z.strictObject({
      clientId: z.string().regex(/^\d{1,20}$/, "must be the numeric ON24 client id"),
      accessTokenKey: line(200),
      accessTokenSecret: line(200),
    }),
  },
  zoom: zoomForm,
  goto: gotoForm,
  teams: teamsForm,
  "http-contract": httpContractForm,
};

export const providerKind = z.enum(Object.keys(PROVIDER_FORMS) as [ProviderKind, ...ProviderKind[]]);

export const credentialFieldsOf = (provider: ProviderKind) =>
  Object.keys(PROVIDER_FORMS[provider].credentials.shape);
