import Fastify from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import pg from "pg";
import { z } from "zod";
import { normalizeEmail } from "../src/lib/email-address.ts";
import { uuidv7 } from "../src/lib/ids.ts";

/**
 * The intake benchmark's second baseline: what Node itself allows. A minimal Fastify + zod
 * service on the same database, the same pool size and the same request body as the API,
 * doing one INSERT per request and answering 201. Run as its own process:
 *   DATABASE_URL=… PORT=… AUDITORIUM_DB_POOL_SIZE=10 npx tsx bench/minimal-service.ts
 * It prints "listening" once it does. Not part of the product.
 *
 * With MINIMAL_ROWS=registration (and MINIMAL_ORG_ID, MINIMAL_EVENT_ID) it writes instead the
 * rows an API registration is, into the product's own tables with their indexes and foreign
 * keys: a contact and its registration, in one statement, ids from the product's generator.
 * It decides nothing (no matching rule, no duplicate, no lock, no capacity): the difference
 * between it and the one-row service is the data a registration is; the difference between it
 * and the API is the API's own work.
 */
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.AUDITORIUM_DB_POOL_SIZE ?? 10),
});
type Contact = { firstName: string; lastName: string; email: string; company?: string | undefined };
const INSERT_REGISTRATION = `with c as (insert into contacts (id, organization_id, first_name, last_name, email, email_normalized, company)
    values ($1, $3, $4, $5, $6, $7, $8) returning id)
  insert into registrations (id, organization_id, event_id, contact_id, status, source, created_at, updated_at)
  select $2, $3, $9, c.id, 'registered', 'api', clock_timestamp(), now() from c returning id::text`;
/** The one statement a request runs, chosen once for the mode. */
const statementFor: (c: Contact) => [string, unknown[]] =
  process.env.MINIMAL_ROWS === "registration"
    ? (c) => [
        INSERT_REGISTRATION,
        [
          uuidv7(),
          uuidv7(),
          process.env.MINIMAL_ORG_ID,
          c.firstName,
          c.lastName,
          c.email,
          normalizeEmail(c.email),
          c.company ?? null,
          process.env.MINIMAL_EVENT_ID,
        ],
      ]
    : (c) => [
        "INSERT INTO bench_minimal (email, first_name, last_name, company) VALUES ($1, $2, $3, $4) RETURNING id::text",
        [c.email, c.firstName, c.lastName, c.company ?? null],
      ];
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
      const { rows } = await pool.query<{ id: string }>(...statementFor(contact));
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
