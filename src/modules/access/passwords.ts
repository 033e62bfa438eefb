import { hash, verify } from "@node-rs/argon2";
import { createSemaphore } from "../../lib/semaphore.ts";

// argon2id with OWASP's second recommended profile (19 MiB, 2 passes): strong, and quick
// enough that sign-in stays well under a second on a 2-core machine.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const DUMMY_HASH = await hash("auditorium-dummy-password-for-timing", OPTIONS);

/**
 * Password hashing with a cap on the hashes running at once: each costs 19 MiB, so a flood of
 * sign-ins could otherwise take the process's memory. Excess callers wait up to `maxWaitMs`,
 * then get 503 `busy` with Retry-After. The cap is per process, as the memory is.
 */
export function createPasswordHasher(options: { maxConcurrent: number; maxWaitMs: number }) {
  const slots = createSemaphore({ max: options.maxConcurrent, maxWaitMs: options.maxWaitMs });
  async function gated<T>(work: () => Promise<T>): Promise<T> {
    const release = await slots.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
  return {
    hash: (password: string) => gated(() => hash(password, OPTIONS)),
    /** Verifies against a dummy hash when the user has none, so timing does not reveal which emails exist. */
    async verify(passwordHash: string | null, password: string): Promise<boolean> {
      const target = passwordHash ?? DUMMY_HASH;
      const ok = await gated(() => verify(target, password).catch(() => false));
      return ok && passwordHash !== null;
    },
    stats: slots.stats,
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
