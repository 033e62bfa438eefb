import type { Db } from "../../db/database.ts";

export function createCheckInService(deps: { db: Db }) {
  return { db: deps.db };
}
export type CheckInService = ReturnType<typeof createCheckInService>;
