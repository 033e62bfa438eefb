import type { Config } from "./config/env.ts";
import type { DatabaseHandle } from "./db/database.ts";
import { type CallGate, createCallGate } from "./jobs/call-gate.ts";
import { createJobQueue, type JobQueue } from "./jobs/queue.ts";
import {
  createDataKeyCache,
  createEnvelope,
  type Envelope,
  type KekProvider,
  type LocalKeyring,
  openLocalKeyring,
} from "./keys/index.ts";
import { createSecretRecords, type SecretRecords } from "./keys/secret-records.ts";
import type { Logger } from "./lib/logger.ts";
import { createGuardedFetch } from "./lib/outbound-guard.ts";
import { createSmtpTransport, type MailTransport } from "./modules/email/email.transport.ts";
import { ON24_DEFAULT_BASE_URLS } from "./providers/on24/client.ts";
import { createProviderRegistry, type ProviderRegistry } from "./providers/registry.ts";

/**
 * The infrastructure every process needs besides the database: the key-encryption keyring
 * and envelope, the job queue, the switch-off gate and the provider adapters. Built once per
 * process by the composition root.
 */
export interface Runtime {
  /** The provider that wraps new data keys. */
  kek: KekProvider;
  /** The local keyring, when this deployment has one (writer, or reader of older records). */
  keyring: LocalKeyring | null;
  envelope: Envelope;
  secretRecords: SecretRecords;
  queue: JobQueue;
  gate: CallGate;
  providers: ProviderRegistry;
  /** The SMTP connection pool; null when no server is configured (messages are kept). */
  mail: MailTransport | null;
  close(): Promise<void>;
}

export async function createRuntime(deps: {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
}): Promise<Runtime> {
  const { config, database, logger } = deps;
  const { kek, keyring } = await openKeks(config);
  const cache = createDataKeyCache({ ttlMs: 5 * 60_000, maxUses: 1000 });
  const envelope = createEnvelope({ kek, readers: keyring && keyring !== kek ? [keyring] : [], cache });
  const secretRecords = createSecretRecords({ db: database.db, envelope });
  try {
    await secretRecords.verifyReadable();
  } catch (error) {
    cache.clear();
    keyring?.close();
    if (kek !== keyring) await closeKek(kek);
    throw error;
  }
  const queue = await createJobQueue(database, logger);
  const gate = createCallGate(database);
  const providers = createProviderRegistry({
    on24: {
      baseUrls: { ...ON24_DEFAULT_BASE_URLS, ...config.on24BaseUrls },
      timeoutMs: config.providerTimeoutMs,
    },
    zoom: { ...config.providerUrls.zoom, timeoutMs: config.providerTimeoutMs },
    goto: { ...config.providerUrls.goto, timeoutMs: config.providerTimeoutMs },
    teams: { ...config.providerUrls.teams, timeoutMs: config.providerTimeoutMs },
    // The one provider whose URL a tenant chooses: its requests go through the outbound guard.
    // The vendors' URLs (and their overrides) are the operator's and are not guarded.
    httpContract: {
      timeoutMs: config.providerTimeoutMs,
      fetch: createGuardedFetch(config.allowPrivateHosts),
    },
  });
  const mail = config.email.smtpUrl ? createSmtpTransport({ url: config.email.smtpUrl }) : null;
  return {
    kek,
    keyring,
    envelope,
    secretRecords,
    queue,
    gate,
    providers,
    mail,
    async close() {
      await queue.stop();
      mail?.close();
      await gate.close();
      cache.clear();
      keyring?.close();
      if (kek !== keyring) await closeKek(kek);
    },
  };
}

/**
 * The configured provider wraps new data keys; the local keyring, when its file exists,
 * stays readable so records can move from it (the same rewrap as any rotation).
 */
async function openKeks(config: Config): Promise<{ kek: KekProvider; keyring: LocalKeyring | null }> {
  if (config.kek.provider === "local") {
    const keyring = await openLocalKeyring({ dir: config.keyringDir });
    return { kek: keyring, keyring };
  }
  const keyring = await openLocalKeyring({ dir: config.keyringDir, mustExist: true }).catch(
    (error: unknown) => {
      if ((error as { code?: string }).code === "keyring_missing") return null;
      throw error;
    },
  );
  const kek = await openRemoteKek(config.kek);
  return { kek, keyring };
}

/** Loaded on demand: the PKCS#11 native module and the Azure SDK are only needed when configured. */
async function openRemoteKek(kek: Exclude<Config["kek"], { provider: "local" }>): Promise<KekProvider> {
  if (kek.provider === "pkcs11") {
    const { openPkcs11Kek } = await import("./keys/pkcs11-kek.ts");
    return openPkcs11Kek({
      modulePath: kek.modulePath,
      tokenLabel: kek.tokenLabel,
      pin: kek.pin,
      keyLabel: kek.keyLabel,
    });
  }
  const { createAzureKeyVaultKek } = await import("./keys/azure-kek.ts");
  const { ClientSecretCredential } = await import("@azure/identity");
  const credential = new ClientSecretCredential(kek.tenantId, kek.clientId, kek.clientSecret, {
    ...(kek.authorityHost && { authorityHost: kek.authorityHost }),
  });
  return createAzureKeyVaultKek({ vaultUrl: kek.vaultUrl, keyName: kek.keyName, credential });
}

async function closeKek(kek: KekProvider) {
  await (kek as { close?: () => unknown }).close?.();
}
