/**
 * Typed application errors. Each carries its HTTP meaning, a machine code, whether a retry
 * could help, and (for validation) the field at fault. Infrastructure errors are wrapped with
 * `cause`, never swallowed.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: { field?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
  }
  get field(): string | undefined {
    return this.options.field;
  }
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}

export const badRequest = (message: string, field?: string) =>
  new AppError(400, "invalid_request", message, { field });
export const unprocessable = (code: string, message: string, field?: string) =>
  new AppError(422, code, message, { field });
export const unauthenticated = (message = "Sign in or present an API token") =>
  new AppError(401, "unauthenticated", message);
export const forbidden = (message = "Your role does not allow this") =>
  new AppError(403, "forbidden", message);
/** Also used for another organization's ids: never a hint that the thing exists. */
export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const conflict = (code: string, message: string, field?: string) =>
  new AppError(409, code, message, { field });
