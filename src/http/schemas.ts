import { z } from "zod";

/**
 * Shared request and response pieces. Every string has a length cap and refuses control
 * characters (a 10 kB name or an embedded NUL is an input error, not data).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to match them
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: tab and newlines allowed in long text
const CONTROL_CHARS_EXCEPT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Text that is not what the client meant to send: U+FFFD is what invalid UTF-8 bytes decode
 * to, and a lone surrogate (`"\ud800"` in JSON) cannot be stored as UTF-8 without being
 * silently replaced. Both are refused rather than stored altered.
 */
const MALFORMED_TEXT = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string) => !MALFORMED_TEXT.test(s);
const MALFORMED_MESSAGE = "must be valid UTF-8 text";

export const line = (max = 200) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), "must not contain control characters")
    .refine(wellFormed, MALFORMED_MESSAGE);

export const optionalLine = (max = 200) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((s) => !CONTROL_CHARS.test(s), "must not contain control characters")
    .refine(wellFormed, MALFORMED_MESSAGE)
    .transform((s) => (s === "" ? null : s))
    .nullable()
    .optional();

export const text = (max = 20_000) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARS_EXCEPT_NEWLINES.test(s), "must not contain control characters")
    .refine(wellFormed, MALFORMED_MESSAGE);

export const email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: "must be an email address" }));

export const uuid = z.uuid({ message: "must be a UUID" });
export const idParams = z.strictObject({ id: uuid });

export const role = z.enum(["owner", "admin", "marketer", "viewer"]);

export const paginationQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

/** Standard error responses, so the OpenAPI document lists them for every route. */
export const errorResponses = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
  422: errorBody,
  429: errorBody,
};

export const isoDate = (d: Date | null) => (d ? d.toISOString() : null);
