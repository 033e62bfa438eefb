import { z } from "zod";
import { line, paginationQuery } from "../../http/schemas.ts";

export const importQuery = z.strictObject({ fileName: line(255).default("import.csv") });
export const listImportsQuery = z.strictObject({ ...paginationQuery });

export const importResponse = z.object({
  id: z.string(),
  eventId: z.string(),
  status: z.enum(["pending", "running", "completed", "failed"]),
  fileName: z.string(),
  totalRows: z.number(),
  processedRows: z.number(),
  succeededRows: z.number(),
  failedRows: z.number(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  errorReportUrl: z.string(),
});

export type ImportDto = z.infer<typeof importResponse>;
