import pino, { type Logger } from "pino";

/**
 * Deep redaction is a backstop only: personal data reaches logs solely through allow-list
 * projections, and request URLs are logged without their query strings (sign-in links carry
 * tokens there).
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "*.newPassword",
  "*.currentPassword",
  "token",
  "*.token",
  "*.secret",
  "*.accessTokenSecret",
  "*.accessTokenKey",
  "*.clientSecret",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
  "*.headers['set-cookie']",
  "*.email",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      base: { service: "auditorium" },
      serializers: {
        // Path only: query strings carry sign-in tokens; client addresses are personal data.
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          // A public registration's token is in its path: it proves who the person is.
          path: req.url?.split("?")[0]?.replace(/(\/public\/registrations\/)[^/]+/, "$1[redacted]"),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}

export type { Logger };
