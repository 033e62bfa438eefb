// GoTo's error answers. The OpenAPI document declares status codes only; the bodies below are
// the ones docs/providers/goto.md records as observed: `{"int_err_code":"InvalidToken","msg":"Invalid
// token passed"}` for a bad or expired access token (a 403, not a 401) and
// `{"errorCode":…,"message":…}` elsewhere. Error codes other than those observed are our choice.

export class GotoError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message ?? body.msg ?? body.error ?? status));
  }
}

export const invalidToken = () =>
  new GotoError(403, { int_err_code: "InvalidToken", msg: "Invalid token passed" });

export const forbidden = (message = "The user is not authorized to perform this operation") =>
  new GotoError(403, { errorCode: "FORBIDDEN", message });

export const notFound = (message: string) => new GotoError(404, { errorCode: "NOT_FOUND", message });

export const badRequest = (message: string) => new GotoError(400, { errorCode: "INVALID_REQUEST", message });

export const conflict = (message: string) => new GotoError(409, { errorCode: "CONFLICT", message });

export const tooManyRequests = (retryAfterSeconds: number | null) =>
  new GotoError(
    429,
    { errorCode: "TOO_MANY_REQUESTS", message: "Rate limit exceeded" },
    retryAfterSeconds === null ? {} : { "retry-after": String(retryAfterSeconds) },
  );

/** OAuth errors at the token endpoint (RFC 6749 §5.2). */
export const oauthError = (status: 400 | 401, error: string, description: string) =>
  new GotoError(status, { error, error_description: description });
