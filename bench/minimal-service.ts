import Fastify from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import pg from "pg";
import { z } from "zod";

/**
 * The intake benchmark's second baseline: what Node itself allows. A minimal Fastify + zod
 * service on the same database, the same pool size and the same request body as the API,
 * doing one INSERT per request and answering 201. Run as its own process:
 *   DATABASE_URL=… PORT=… AUDITORIUM_DB_POOL_SIZE=10 npx tsx bench/minimal-service.ts
 * It prints "listening" once it does. Not part of the product.
 */
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.AUDITORIUM_DB_POOL_SIZE ?? 10),
});
await pool.query(
  "CREATE TABLE IF NOT EXISTS bench_minimal (id bigserial PRIMARY KEY, email text NOT NULL, first_name text NOT NULL, last_name text NOT NULL, company text, created_at timestamptz NOT NULL DEFAULT now())",
);

const body = z.strictObject({
  contact: z.strictObject({
    firstName: z.string().min(1).max(200),
    lastName: z.string().min(1).max(200),
    email: z.string().email().max(320),
    company: z.string().max(200).optional(),
  }),
});

const app = Fastify({ logger: false });
app.setValidatorCompiler(validatorCompiler);
app.setSerializerCompiler(serializerCompiler);
app
  .withTypeProvider<ZodTypeProvider>()
  .post(
    "/register",
    { schema: { body, response: { 201: z.object({ id: z.string(), email: z.string() }) } } },
    async (request, reply) => {
      const { contact } = request.body;
      const { rows } = await pool.query<{ id: string }>(
        "INSERT INTO bench_minimal (email, first_name, last_name, company) VALUES ($1, $2, $3, $4) RETURNING id::text",
        [contact.email, contact.firstName, contact.lastName, contact.company ?? null],
      );
      return reply.code(201).send({ id: rows[0]?.id ?? "", email: contact.email });
    },
  );
await app.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" });
process.stdout.write("listening\n");
process.once("SIGTERM", async () => {
  await app.close();
  await pool.end();
  process.exit(0);
});
