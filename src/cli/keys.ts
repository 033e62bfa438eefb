import type { KekProvider, KekRef } from "../keys/index.ts";
import type { Runtime } from "../runtime.ts";

/** What a KEK provider that manages its own versions offers (local keyring, PKCS#11). */
interface ManagedKek extends KekProvider {
  versions(): Promise<
    { keyId: string; keyVersion: number; createdAt?: string; retiredAt?: string | null; current?: boolean }[]
  >;
  rotate(): Promise<{ keyId: string; keyVersion: number }>;
  retire(keyVersion: number, options: { isInUse: (ref: KekRef) => Promise<boolean> }): Promise<unknown>;
}

const isManaged = (kek: KekProvider): kek is ManagedKek =>
  typeof (kek as Partial<ManagedKek>).rotate === "function" &&
  typeof (kek as Partial<ManagedKek>).versions === "function";

/**
 * `auditorium keys list | rotate | retire --version N | rewrap [--batch-size N]`: the
 * operator's side of key rotation (docs/keys.md). Output goes to stdout; no key material
 * and no secret is ever printed.
 */
export async function runKeysCommand(
  args: { action: string | undefined; version?: string | undefined; batchSize?: string | undefined },
  runtime: Pick<Runtime, "kek" | "secretRecords">,
  out: (line: string) => void,
  /**
   * Records a key operation in every organization's audit log (names and versions only). The
   * key lives in a key service, outside our database, so no transaction can hold both: each
   * operation is recorded as requested before the key service is touched, and as done after,
   * so a crash in between leaves the request in the log rather than an unlogged change.
   */
  audited: (action: string, details: Record<string, string | number>) => Promise<void> = async () => {},
): Promise<void> {
  const { kek, secretRecords } = runtime;
  switch (args.action) {
    case "list": {
      const current = await kek.current();
      out(`writing with: ${kek.provider} key ${current.keyId} version ${current.keyVersion}`);
      if (isManaged(kek)) {
        for (const v of await kek.versions()) {
          out(
            `  version ${v.keyVersion}${v.current ? " (current)" : ""}${v.retiredAt ? ` retired ${v.retiredAt}` : ""}${v.createdAt ? ` created ${v.createdAt}` : ""}`,
          );
        }
      }
      out("stored secrets by key:");
      for (const u of await secretRecords.usage())
        out(`  ${u.kekProvider} ${u.keyId} v${u.keyVersion}: ${u.records}`);
      return;
    }
    case "rotate": {
      if (!isManaged(kek))
        throw new Error(
          `${kek.provider}: rotate the key in the key vault; new versions are picked up automatically`,
        );
      await audited("keys.rotation_requested", { provider: kek.provider });
      const next = await kek.rotate();
      await audited("keys.rotated", { provider: kek.provider, keyVersion: next.keyVersion });
      out(
        `new ${kek.provider} key version ${next.keyVersion} now wraps new data keys; run "auditorium keys rewrap" (or let the worker do it) to move existing secrets`,
      );
      return;
    }
    case "retire": {
      if (!isManaged(kek)) throw new Error(`${kek.provider}: retire versions in the key vault itself`);
      const version = Number(args.version);
      if (!Number.isInteger(version) || version < 1) throw new Error("retire needs --version N");
      await audited("keys.retirement_requested", { provider: kek.provider, keyVersion: version });
      await kek.retire(version, {
        isInUse: (ref) => secretRecords.isInUse({ kekProvider: kek.provider, ...ref }),
      });
      await audited("keys.retired", { provider: kek.provider, keyVersion: version });
      out(`${kek.provider} key version ${version} retired`);
      return;
    }
    case "rewrap": {
      const batchSize = Number(args.batchSize ?? 100);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
        throw new Error("--batch-size must be 1 to 10000");
      let total = 0;
      for (;;) {
        const { moved, remaining } = await secretRecords.rewrapBatch(batchSize);
        total += moved;
        out(`rewrapped ${total}, ${remaining} to go`);
        if (remaining === 0 || moved === 0) break;
      }
      const current = await kek.current();
      out(
        `done: every stored secret is wrapped by ${kek.provider} key ${current.keyId} version ${current.keyVersion}`,
      );
      return;
    }
    default:
      throw new Error("keys: list | rotate | retire --version N | rewrap [--batch-size N]");
  }
}
