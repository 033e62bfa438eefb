import { ProviderError, type ProviderKind, type WebinarProvider } from "./contract.ts";

/**
 * TEMPORARY scaffold while a provider's adapter is being written: every call refuses with
 * `invalid`, so work for it ends visibly failed instead of silently pending. Deleted once
 * the last adapter lands.
 */
export function notYetAvailable(kind: ProviderKind, credentialFields: readonly string[]): WebinarProvider {
  const refuse = async (): Promise<never> => {
    throw new ProviderError("invalid", `The ${kind} adapter is not available in this build`);
  };
  return {
    kind,
    credentialFields,
    checkCredentials: async () => ({ status: "unhealthy", message: `The ${kind} adapter is not available` }),
    createWebinar: refuse,
    findWebinarByReference: refuse,
    updateWebinar: refuse,
    deleteWebinar: refuse,
    register: refuse,
    cancelRegistration: refuse,
    listAttendance: refuse,
  };
}
