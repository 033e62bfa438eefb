import type { FastifyInstance, FastifyRequest } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route takes registrations: it is admitted only while this process has room
     * (src/http/admission.ts), else answered 503 with Retry-After at once.
     */
    admission?: boolean;
  }
}

export interface AdmissionOptions {
  /** Registration requests one process works on at once; the next one is refused. */
  maxInFlight: number;
  /** Event-loop lag (ms) above which new registrations are refused; 0: not checked. */
  maxLagMs: number;
  /** What the 503 tells the client to wait, in seconds. */
  retryAfterSeconds: number;
}

/**
 * Admission control for the intake routes (the public form and the API's registration create).
 * Past capacity a queue only grows: every accepted request waits behind the ones before it,
 * until all of them answer in seconds (the public load test measured p99 22 s). So a process
 * takes at most `maxInFlight` registrations at once and refuses the next with 503 and
 * `Retry-After` before anything is read, authenticated or written: a refused request costs
 * almost nothing and wrote nothing, and an accepted one waits behind at most `maxInFlight`
 * others (which bounds its latency to maxInFlight ÷ throughput). The event loop's lag is the
 * second signal: when the process is starved of CPU (a loaded machine), in-flight counts stay
 * low while every answer is late.
 *
 * Per process, as the resources it protects are (the pool, the CPU); N processes admit N × the
 * limit. Its hooks are global and run first (before authentication, which is a query); routes
 * opt in with `config: { admission: true }`.
 */
export function installAdmission(app: FastifyInstance, options: AdmissionOptions) {
  let inFlight = 0;
  let admitted = 0;
  let refused = 0;
  const holding = new WeakSet<FastifyRequest>();
  const lag = options.maxLagMs > 0 ? watchEventLoopLag() : undefined;
  const retryAfter = String(options.retryAfterSeconds);

  app.addHook("onRequest", async (request, reply) => {
    if (request.routeOptions.config?.admission !== true) return;
    const lagMs = lag?.current() ?? 0;
    if (inFlight >= options.maxInFlight || lagMs > options.maxLagMs) {
      refused += 1;
      return reply
        .code(503)
        .header("retry-after", retryAfter)
        .header("cache-control", "no-store")
        .send({ error: { code: "busy", message: "The server is busy; try again shortly" } });
    }
    inFlight += 1;
    admitted += 1;
    holding.add(request);
  });
  // Every way a request ends releases its place once: answered, aborted by the client, or
  // released early by the route (the public form's answer floor waits without working).
  app.addHook("onResponse", async (request) => releaseAdmission(request));
  app.addHook("onRequestAbort", async (request) => releaseAdmission(request));
  app.addHook("onClose", async () => lag?.stop());

  function releaseAdmission(request: FastifyRequest) {
    if (holding.delete(request)) inFlight -= 1;
  }
  const admission = {
    release: releaseAdmission,
    /** For metrics and tests. */
    stats: () => ({ inFlight, admitted, refused, lagMs: lag?.current() ?? 0 }),
  };
  app.decorate("admission", admission);
  return admission;
}

export type Admission = ReturnType<typeof installAdmission>;

declare module "fastify" {
  interface FastifyInstance {
    admission: Admission;
  }
}

/**
 * How late a 50 ms timer fires: the time a callback waits for the loop right now. The value
 * decays (each tick keeps the larger of the new reading and half the last), so one late tick
 * is remembered briefly, not for good.
 */
function watchEventLoopLag() {
  const INTERVAL_MS = 50;
  let expected = performance.now() + INTERVAL_MS;
  let lagMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(now - expected, lagMs / 2);
    expected = now + INTERVAL_MS;
  }, INTERVAL_MS);
  timer.unref();
  return { current: () => lagMs, stop: () => clearInterval(timer) };
}
