import path from "node:path";
import { z } from "zod";

/**
 * Configuration is parsed once at start-up. No secret has a default: a missing required
 * setting stops the process with a message naming it.
 */
const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z.string().url().optional(),
  AUDITORIUM_DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  AUDITORIUM_DATA_DIR: z.string().min(1).default("./data"),
  AUDITORIUM_PUBLIC_URL: z.string().url().optional(),
  AUDITORIUM_OWNER_EMAIL: z.string().email().default("owner@example.com"),
  AUDITORIUM_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info"),
  AUDITORIUM_SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24 * 14),
  AUDITORIUM_PUBLIC_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
  AUDITORIUM_PUBLIC_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
  AUDITORIUM_TRUST_PROXY: bool.default(false),
  AUDITORIUM_SECURE_COOKIES: bool.optional(),
  AUDITORIUM_KEYRING_DIR: z.string().min(1).optional(),
  AUDITORIUM_ON24_NA_URL: z.string().url().optional(),
  AUDITORIUM_ON24_EU_URL: z.string().url().optional(),
  AUDITORIUM_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(25),
  AUDITORIUM_METRICS_POLL_SECONDS: z.coerce.number().min(0.5).max(3600).default(30),
  AUDITORIUM_QUOTA_PAUSE_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  AUDITORIUM_SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  port: number;
  host: string;
  /** Server PostgreSQL when set; otherwise PGlite on disk under dataDir. */
  databaseUrl: string | undefined;
  /** Connections per process to server PostgreSQL (the job queue and switch-off gate add 5). */
  dbPoolSize: number;
  dataDir: string;
  publicUrl: string;
  ownerEmail: string;
  logLevel: Env["AUDITORIUM_LOG_LEVEL"];
  sessionTtlMs: number;
  publicRateLimit: { max: number; windowMs: number };
  trustProxy: boolean;
  secureCookies: boolean;
  /** Folder of the local keyring that holds the key-encryption keys. */
  keyringDir: string;
  /** Overrides ON24's regional API base URLs (a simulator, a proxy); unset means ON24 itself. */
  on24BaseUrls: { NA?: string; EU?: string };
  workerConcurrency: number;
  metricsPollSeconds: number;
  quotaPauseSeconds: number;
  syncMaxAttempts: number;
}

export class ConfigError extends Error {}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  const publicUrl = (env.AUDITORIUM_PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, "");
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dbPoolSize: env.AUDITORIUM_DB_POOL_SIZE,
    dataDir: path.resolve(env.AUDITORIUM_DATA_DIR),
    publicUrl,
    ownerEmail: env.AUDITORIUM_OWNER_EMAIL,
    logLevel: env.AUDITORIUM_LOG_LEVEL,
    sessionTtlMs: env.AUDITORIUM_SESSION_TTL_HOURS * 3600_000,
    publicRateLimit: {
      max: env.AUDITORIUM_PUBLIC_RATE_LIMIT,
      windowMs: env.AUDITORIUM_PUBLIC_RATE_WINDOW_SECONDS * 1000,
    },
    trustProxy: env.AUDITORIUM_TRUST_PROXY,
    secureCookies: env.AUDITORIUM_SECURE_COOKIES ?? publicUrl.startsWith("https://"),
    keyringDir: path.resolve(env.AUDITORIUM_KEYRING_DIR ?? path.join(env.AUDITORIUM_DATA_DIR, "keys")),
    on24BaseUrls: {
      ...(env.AUDITORIUM_ON24_NA_URL && { NA: env.AUDITORIUM_ON24_NA_URL.replace(/\/$/, "") }),
      ...(env.AUDITORIUM_ON24_EU_URL && { EU: env.AUDITORIUM_ON24_EU_URL.replace(/\/$/, "") }),
    },
    workerConcurrency: env.AUDITORIUM_WORKER_CONCURRENCY,
    metricsPollSeconds: env.AUDITORIUM_METRICS_POLL_SECONDS,
    quotaPauseSeconds: env.AUDITORIUM_QUOTA_PAUSE_SECONDS,
    syncMaxAttempts: env.AUDITORIUM_SYNC_MAX_ATTEMPTS,
  };
}
