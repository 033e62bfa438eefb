import path from "node:path";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { NOTHING_ALLOWED, type OutboundAllowList, parseAllowList } from "../lib/outbound-guard.ts";

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
  AUDITORIUM_TRUST_PROXY: z
    .string()
    .default("false")
    .transform((value, ctx) => {
      const parsed = parseTrustProxy(value);
      if (parsed === null)
        ctx.addIssue({
          code: "custom",
          message: "expected false, true (one proxy), a hop count, or proxy addresses/CIDR ranges",
        });
      return parsed ?? false;
    }),
  AUDITORIUM_SECURE_COOKIES: bool.optional(),
  AUDITORIUM_KEYRING_DIR: z.string().min(1).optional(),
  AUDITORIUM_KEK_PROVIDER: z.enum(["local", "pkcs11", "azure-key-vault"]).default("local"),
  AUDITORIUM_PKCS11_MODULE: z.string().min(1).optional(),
  AUDITORIUM_PKCS11_TOKEN_LABEL: z.string().min(1).optional(),
  AUDITORIUM_PKCS11_PIN: z.string().min(1).optional(),
  AUDITORIUM_PKCS11_KEY_LABEL: z.string().min(1).optional(),
  AUDITORIUM_AZURE_VAULT_URL: z.string().url().optional(),
  AUDITORIUM_AZURE_KEY_NAME: z.string().min(1).optional(),
  AZURE_TENANT_ID: z.string().min(1).optional(),
  AZURE_CLIENT_ID: z.string().min(1).optional(),
  AZURE_CLIENT_SECRET: z.string().min(1).optional(),
  AZURE_AUTHORITY_HOST: z.string().url().optional(),
  AUDITORIUM_ON24_NA_URL: z.string().url().optional(),
  AUDITORIUM_ON24_EU_URL: z.string().url().optional(),
  AUDITORIUM_ZOOM_API_URL: z.string().url().optional(),
  AUDITORIUM_ZOOM_OAUTH_URL: z.string().url().optional(),
  AUDITORIUM_GOTO_API_URL: z.string().url().optional(),
  AUDITORIUM_GOTO_AUTH_URL: z.string().url().optional(),
  AUDITORIUM_GRAPH_URL: z.string().url().optional(),
  AUDITORIUM_MS_LOGIN_URL: z.string().url().optional(),
  AUDITORIUM_PROVIDER_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(300).default(15),
  AUDITORIUM_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(10),
  AUDITORIUM_WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().min(0.01).max(3600).default(5),
  AUDITORIUM_WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().min(0.0001).max(720).default(24),
  AUDITORIUM_WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  AUDITORIUM_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(25),
  AUDITORIUM_METRICS_POLL_SECONDS: z.coerce.number().min(0.5).max(3600).default(30),
  /** Set by `npm start -- --demo` (src/demo.ts): the ON24 simulator runs beside the app. */
  AUDITORIUM_DEMO: z.enum(["0", "1"]).default("0"),
  AUDITORIUM_ATTENDANCE_TAIL_DAYS: z.coerce.number().int().min(7).max(730).default(90),
  AUDITORIUM_ATTENDANCE_TAIL_HOURS: z.coerce.number().min(1).max(168).default(24),
  AUDITORIUM_QUOTA_PAUSE_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  AUDITORIUM_SYNC_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  AUDITORIUM_SYNC_RETRY_MAX_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  AUDITORIUM_RECONCILE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  AUDITORIUM_ALLOW_PRIVATE_HOSTS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (!value) return NOTHING_ALLOWED;
      const parsed = parseAllowList(value);
      if ("ok" in parsed) return parsed.ok;
      ctx.addIssue({ code: "custom", message: `"${parsed.bad}" is not a host name, address or CIDR range` });
      return NOTHING_ALLOWED;
    }),
  AUDITORIUM_PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  AUDITORIUM_INTAKE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  AUDITORIUM_INTAKE_BATCHES_UNCAPPED: z.coerce.number().int().min(1).max(64).default(4),
  AUDITORIUM_INTAKE_MAX_LAG_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  AUDITORIUM_INTAKE_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(1),
  AUDITORIUM_METRICS_TOKEN: z.string().min(24, "must be at least 24 characters").max(200).optional(),
  AUDITORIUM_SMTP_URL: z
    .string()
    .url()
    .refine((v) => /^smtps?:\/\//.test(v), "must start with smtp:// or smtps://")
    .optional(),
  AUDITORIUM_MAIL_FROM: z.string().min(3).max(300).optional(),
  AUDITORIUM_SMTP_RATE_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(10),
  AUDITORIUM_SMTP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  AUDITORIUM_SMTP_RETRY_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  AUDITORIUM_LEASE_SECONDS: z.coerce.number().min(1).max(600).default(10),
  AUDITORIUM_LEASE_HEARTBEAT_SECONDS: z.coerce.number().min(0.1).max(300).default(2),
});

/** Settings each key provider needs; a missing one stops the process naming it. No secret has a default. */
const REQUIRED_FOR_KEK: Record<string, (keyof z.infer<typeof envSchema>)[]> = {
  local: [],
  pkcs11: [
    "AUDITORIUM_PKCS11_MODULE",
    "AUDITORIUM_PKCS11_TOKEN_LABEL",
    "AUDITORIUM_PKCS11_PIN",
    "AUDITORIUM_PKCS11_KEY_LABEL",
  ],
  "azure-key-vault": [
    "AUDITORIUM_AZURE_VAULT_URL",
    "AUDITORIUM_AZURE_KEY_NAME",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
  ],
};

export type Env = z.infer<typeof envSchema>;

/**
 * Which proxies may speak for the client in `X-Forwarded-For`: `false` (none; the socket
 * address is the client), a number of hops (the nearest N proxies are ours, so the client is
 * the Nth address from the right), or the addresses/ranges of our proxies. `true` means one
 * hop: never "trust every entry", which would take the leftmost address, the one a client can
 * write itself.
 */
export type TrustProxy = false | number | string[];

function parseTrustProxy(raw: string): TrustProxy | null {
  const value = raw.trim();
  if (value === "false" || value === "0" || value === "") return false;
  if (value === "true") return 1;
  if (/^\d+$/.test(value)) return Number(value) <= 20 ? Number(value) : null;
  const entries = value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const valid = (entry: string) => (entry.includes("/") ? isCidr(entry) : ipaddr.isValid(entry));
  return entries.length > 0 && entries.every(valid) ? entries : null;
}

function isCidr(entry: string): boolean {
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

export type KekConfig =
  | { provider: "local" }
  | { provider: "pkcs11"; modulePath: string; tokenLabel: string; pin: string; keyLabel: string }
  | {
      provider: "azure-key-vault";
      vaultUrl: string;
      keyName: string;
      tenantId: string;
      clientId: string;
      clientSecret: string;
      authorityHost?: string | undefined;
    };

function kekConfig(env: Env): KekConfig {
  const missing = REQUIRED_FOR_KEK[env.AUDITORIUM_KEK_PROVIDER]?.filter((name) => !env[name]) ?? [];
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration:\n  AUDITORIUM_KEK_PROVIDER=${env.AUDITORIUM_KEK_PROVIDER} needs ${missing.join(", ")}`,
    );
  }
  switch (env.AUDITORIUM_KEK_PROVIDER) {
    case "local":
      return { provider: "local" };
    case "pkcs11":
      return {
        provider: "pkcs11",
        modulePath: env.AUDITORIUM_PKCS11_MODULE as string,
        tokenLabel: env.AUDITORIUM_PKCS11_TOKEN_LABEL as string,
        pin: env.AUDITORIUM_PKCS11_PIN as string,
        keyLabel: env.AUDITORIUM_PKCS11_KEY_LABEL as string,
      };
    case "azure-key-vault":
      return {
        provider: "azure-key-vault",
        vaultUrl: env.AUDITORIUM_AZURE_VAULT_URL as string,
        keyName: env.AUDITORIUM_AZURE_KEY_NAME as string,
        tenantId: env.AZURE_TENANT_ID as string,
        clientId: env.AZURE_CLIENT_ID as string,
        clientSecret: env.AZURE_CLIENT_SECRET as string,
        authorityHost: env.AZURE_AUTHORITY_HOST,
      };
  }
}

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
  /** Who may set the client address through `X-Forwarded-For` (see `TrustProxy`). */
  trustProxy: TrustProxy;
  secureCookies: boolean;
  /** Folder of the local keyring that holds the key-encryption keys. */
  keyringDir: string;
  /** Which key-management provider wraps new data keys. */
  kek: KekConfig;
  /** Overrides ON24's regional API base URLs (a simulator, a proxy); unset means ON24 itself. */
  on24BaseUrls: { NA?: string; EU?: string };
  /** Overrides the other providers' endpoints (simulators, proxies); unset means the vendor. */
  providerUrls: {
    zoom: { apiUrl?: string; oauthUrl?: string };
    goto: { apiUrl?: string; authUrl?: string };
    teams: { graphUrl?: string; loginUrl?: string };
  };
  /** How long one provider request may take before it counts as a transient failure. */
  providerTimeoutMs: number;
  workerConcurrency: number;
  metricsPollSeconds: number;
  /** The demo simulator runs: the first-run checklist offers its account. */
  demo: boolean;
  /** Attendance keeps being polled, slowly, up to this many days after a webinar (issue 15). */
  attendanceTailDays: number;
  /** The slow schedule's interval after the numbers changed; it doubles while they do not. */
  attendanceTailSeconds: number;
  quotaPauseSeconds: number;
  syncMaxAttempts: number;
  /** The longest back-off before a failed registration or webinar sync is tried again (doubling, jittered, up to this). */
  syncRetryMaxSeconds: number;
  /** How often each webinar is reconciled with its provider's registrant list; 0: only on demand. */
  reconcileMinutes: number;
  /**
   * Private hosts and ranges that tenant-chosen URLs (the open contract's base URL) may reach
   * anyway: an operator's setting, never a tenant's. Empty by default.
   */
  allowPrivateHosts: OutboundAllowList;
  /** Password hashes (19 MiB of argon2 memory each) one process runs at once. */
  passwordHashConcurrency: number;
  /** Admission control of the registration routes (src/http/admission.ts). */
  intake: { maxInFlight: number; maxLagMs: number; retryAfterSeconds: number; batchesUncapped: number };
  /** Bearer token a Prometheus scraper presents at /metrics; unset means /metrics does not exist. */
  metricsToken: string | undefined;
  /** Outgoing email; `smtpUrl` null keeps every message in the outbox unsent (development). */
  email: {
    smtpUrl: string | null;
    from: string;
    ratePerSecond: number;
    maxAttempts: number;
    /** First wait after a 4xx answer or an outage; doubles per try (up to 15 min). */
    retrySeconds: number;
  };
  /** Outgoing webhooks (src/modules/webhooks-out; docs/webhooks-out.md). */
  webhooks: {
    timeoutMs: number;
    retryBaseSeconds: number;
    disableAfterSeconds: number;
    /** Messages and their attempts are deleted this many days after they were written. */
    retentionDays: number;
  };
  /** Leases on sync work: lapse after `seconds` without renewal, renewed every `heartbeatSeconds`. */
  lease: { seconds: number; heartbeatSeconds: number };
}

export class ConfigError extends Error {}

/** Keeps the URLs that are set, without a trailing slash. */
function urls<K extends string>(values: Record<K, string | undefined>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [key, value] of Object.entries(values) as [K, string | undefined][]) {
    if (value) out[key] = value.replace(/\/$/, "");
  }
  return out;
}

/**
 * A server that really sends needs a sender the operator chose (its domain decides SPF,
 * DKIM and DMARC); kept messages only need something to show.
 */
function mailFrom(env: Env, publicUrl: string): string {
  if (env.AUDITORIUM_MAIL_FROM) return env.AUDITORIUM_MAIL_FROM;
  if (env.AUDITORIUM_SMTP_URL)
    throw new ConfigError(
      "Invalid configuration:\n  AUDITORIUM_SMTP_URL is set, so AUDITORIUM_MAIL_FROM is required",
    );
  return `Auditorium <no-reply@${new URL(publicUrl).hostname}>`;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (env.AUDITORIUM_LEASE_HEARTBEAT_SECONDS * 2 > env.AUDITORIUM_LEASE_SECONDS) {
    // A lease must survive a missed beat, or a live worker would lose its work to a slow query.
    throw new ConfigError(
      "Invalid configuration:\n  AUDITORIUM_LEASE_HEARTBEAT_SECONDS: must be at most half of AUDITORIUM_LEASE_SECONDS",
    );
  }
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
    kek: kekConfig(env),
    on24BaseUrls: {
      ...(env.AUDITORIUM_ON24_NA_URL && { NA: env.AUDITORIUM_ON24_NA_URL.replace(/\/$/, "") }),
      ...(env.AUDITORIUM_ON24_EU_URL && { EU: env.AUDITORIUM_ON24_EU_URL.replace(/\/$/, "") }),
    },
    providerUrls: {
      zoom: urls({ apiUrl: env.AUDITORIUM_ZOOM_API_URL, oauthUrl: env.AUDITORIUM_ZOOM_OAUTH_URL }),
      goto: urls({ apiUrl: env.AUDITORIUM_GOTO_API_URL, authUrl: env.AUDITORIUM_GOTO_AUTH_URL }),
      teams: urls({ graphUrl: env.AUDITORIUM_GRAPH_URL, loginUrl: env.AUDITORIUM_MS_LOGIN_URL }),
    },
    providerTimeoutMs: env.AUDITORIUM_PROVIDER_TIMEOUT_SECONDS * 1000,
    workerConcurrency: env.AUDITORIUM_WORKER_CONCURRENCY,
    metricsPollSeconds: env.AUDITORIUM_METRICS_POLL_SECONDS,
    demo: env.AUDITORIUM_DEMO === "1",
    attendanceTailDays: env.AUDITORIUM_ATTENDANCE_TAIL_DAYS,
    attendanceTailSeconds: env.AUDITORIUM_ATTENDANCE_TAIL_HOURS * 3600,
    quotaPauseSeconds: env.AUDITORIUM_QUOTA_PAUSE_SECONDS,
    syncMaxAttempts: env.AUDITORIUM_SYNC_MAX_ATTEMPTS,
    syncRetryMaxSeconds: env.AUDITORIUM_SYNC_RETRY_MAX_SECONDS,
    reconcileMinutes: env.AUDITORIUM_RECONCILE_MINUTES,
    metricsToken: env.AUDITORIUM_METRICS_TOKEN,
    passwordHashConcurrency: env.AUDITORIUM_PASSWORD_HASH_CONCURRENCY,
    intake: {
      maxInFlight: env.AUDITORIUM_INTAKE_MAX_IN_FLIGHT,
      maxLagMs: env.AUDITORIUM_INTAKE_MAX_LAG_MS,
      retryAfterSeconds: env.AUDITORIUM_INTAKE_RETRY_AFTER_SECONDS,
      batchesUncapped: env.AUDITORIUM_INTAKE_BATCHES_UNCAPPED,
    },
    allowPrivateHosts: env.AUDITORIUM_ALLOW_PRIVATE_HOSTS,
    webhooks: {
      timeoutMs: env.AUDITORIUM_WEBHOOK_TIMEOUT_SECONDS * 1000,
      retryBaseSeconds: env.AUDITORIUM_WEBHOOK_RETRY_BASE_SECONDS,
      disableAfterSeconds: env.AUDITORIUM_WEBHOOK_DISABLE_AFTER_HOURS * 3600,
      retentionDays: env.AUDITORIUM_WEBHOOK_RETENTION_DAYS,
    },
    email: {
      smtpUrl: env.AUDITORIUM_SMTP_URL ?? null,
      from: mailFrom(env, publicUrl),
      ratePerSecond: env.AUDITORIUM_SMTP_RATE_PER_SECOND,
      maxAttempts: env.AUDITORIUM_SMTP_MAX_ATTEMPTS,
      retrySeconds: env.AUDITORIUM_SMTP_RETRY_SECONDS,
    },
    lease: {
      seconds: env.AUDITORIUM_LEASE_SECONDS,
      heartbeatSeconds: env.AUDITORIUM_LEASE_HEARTBEAT_SECONDS,
    },
  };
}
