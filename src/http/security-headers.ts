import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

/**
 * The web app's policy: everything from our own origin, nothing inline, never framed. The
 * built app (web/dist) is one module script and one stylesheet; React sets styles through
 * the DOM, which `style-src 'self'` allows. The favicon is a data: URL (web/index.html).
 * `upgrade-insecure-requests` is left out: on a plain-http deployment (localhost) it would
 * turn the app's own requests into https ones that fail; HSTS covers https deployments.
 */
const WEB_APP_POLICY = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
};

/**
 * Security headers on every answer (web app, API, public pages): the policy above,
 * `X-Frame-Options: DENY`, `nosniff`, `Referrer-Policy: no-referrer` (sign-in and
 * confirmation links carry tokens in their path) and helmet's other defaults. Register
 * before the routes.
 */
export async function installSecurityHeaders(app: FastifyInstance) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: WEB_APP_POLICY },
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "no-referrer" },
  });
}

/**
 * The API docs (/docs, swagger-ui) need their own policy (it allows swagger-ui's inline
 * script by hash); it keeps refusing to be framed and drops `upgrade-insecure-requests`
 * for the reason given above.
 */
export function docsPolicy(header: string): string {
  return header
    .replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'")
    .replace(/\s*upgrade-insecure-requests;?/, "");
}
