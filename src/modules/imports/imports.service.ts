import type { Db } from "../../db/database.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";

export function createImportService(deps: { db: Db; registrations: RegistrationService }) {
  return { db: deps.db, registrations: deps.registrations };
}
export type ImportService = ReturnType<typeof createImportService>;
