import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireRole } from "../../http/auth.ts";
import { errorResponses } from "../../http/schemas.ts";

/**
 * The ON24 simulator's built-in NA account (simulators/on24/main.ts seeds it). Not a secret:
 * the simulator is a local stand-in and these values are in its source. Offered to the web
 * app's first-run checklist only while `npm start -- --demo` runs the simulator.
 */
export const ON24_DEMO_ACCOUNT = {
  clientId: "10001",
  accessTokenKey: "DEMOKEYNA",
  accessTokenSecret: "demo-secret-na",
};

/**
 * `GET /api/v1/demo/webinar-account`: `{ account: null }` unless the demo simulator runs
 * (`config.demo`). 200 either way, not 404: the web app asks on every page of an unfinished
 * first run, and an expected answer should not read as an error in the browser console.
 */
export function demoAccountRoutes(app: FastifyInstance, deps: { demo: boolean }) {
  app.withTypeProvider<ZodTypeProvider>().get(
    "/api/v1/demo/webinar-account",
    {
      schema: {
        tags: ["webinar-configurations"],
        summary:
          "The demo ON24 simulator's account, to connect in one click (only with `npm start -- --demo`; null otherwise)",
        response: {
          200: z.object({
            account: z
              .object({
                provider: z.literal("on24"),
                settings: z.object({ region: z.literal("NA") }),
                credentials: z.object({
                  clientId: z.string(),
                  accessTokenKey: z.string(),
                  accessTokenSecret: z.string(),
                }),
              })
              .nullable(),
          }),
          ...errorResponses,
        },
      },
      preHandler: requireRole("admin"),
    },
    async () => {
      if (!deps.demo) return { account: null };
      return {
        account: {
          provider: "on24" as const,
          settings: { region: "NA" as const },
          credentials: ON24_DEMO_ACCOUNT,
        },
      };
    },
  );
}
