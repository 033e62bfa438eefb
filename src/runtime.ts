import type { Config } from "./config/env.ts";
import type { DatabaseHandle } from "./db/database.ts";
import { type CallGate, createCallGate } from "./jobs/call-gate.ts";
import { createJobQueue, type JobQueue } from "./jobs/queue.ts";
import { createEnvelope, type Envelope, type LocalKeyring, openLocalKeyring } from "./keys/index.ts";
import type { Logger } from "./lib/logger.ts";
import type { ProviderKind, WebinarProvider } from "./providers/contract.ts";
import { ON24_DEFAULT_BASE_URLS } from "./providers/on24/client.ts";
import { createProviderRegistry } from "./providers/registry.ts";

/**
 * The infrastructure every process needs besides the database: the key-encryption keyring
 * and envelope, the job queue, the switch-off gate and the provider adapters. Built once per
 * process by the composition root.
 */
export interface Runtime {
  keyring: LocalKeyring;
  envelope: Envelope;
  queue: JobQueue;
  gate: CallGate;
  providers: Record<ProviderKind, WebinarProvider>;
  close(): Promise<void>;
}

export async function createRuntime(deps: {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
}): Promise<Runtime> {
  const { config, database, logger } = deps;
  const keyring = await openLocalKeyring({ dir: config.keyringDir });
  const envelope = createEnvelope({ kek: keyring });
  const queue = await createJobQueue(database, logger);
  const gate = createCallGate(database);
  const providers = createProviderRegistry({
    on24: { baseUrls: { ...ON24_DEFAULT_BASE_URLS, ...config.on24BaseUrls } },
  });
  return {
    keyring,
    envelope,
    queue,
    gate,
    providers,
    async close() {
      await queue.stop();
      await gate.close();
      keyring.close();
    },
  };
}
