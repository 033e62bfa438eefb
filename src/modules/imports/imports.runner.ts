import { sql, type Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import {
  type ColumnMap,
  fieldOfError,
  mapHeader,
  parseRow,
  type RowProblem,
  records,
} from "./imports.csv.ts";

type Trx = Transaction<Database>;

/** A position in an import's file, kept between batches so the file is parsed once per run. */
interface Cursor {
  importId: string;
  rows: AsyncIterator<string[]>;
  columns: ColumnMap;
  /** Data rows consumed so far (the header excluded). */
  position: number;
}
export interface CursorHolder {
  current?: Cursor | undefined;
}

const MAX_ATTEMPTS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A row's failure as a report line, or null when the failure is not the row's fault. */
function classify(error: unknown, columns: ColumnMap): RowProblem | null {
  if (error instanceof AppError && error.status < 500)
    return { field: fieldOfError(error, columns), message: error.message };
  const code = (error as { code?: unknown }).code;
  // A concurrent API registration of the same person can win the unique index race.
  if (code === "23505") return { field: columns.label.email ?? "email", message: "is already registered" };
  if (typeof code === "string" && code.startsWith("22"))
    return { field: null, message: "a value was refused by the database" };
  return null;
}

/**
 * Processes imports in the background, one batch per transaction. Each batch locks the
 * import row and continues from the committed processed_rows, so a crash loses at most the
 * uncommitted batch (redone on restart) and two runners on one import never take the same
 * rows. Each row runs under a savepoint: on PostgreSQL a failed statement would otherwise
 * abort the whole batch.
 */
export function createImportRunner(deps: {
  db: Db;
  registrations: RegistrationService;
  logger?: Logger | undefined;
  batchSize?: number;
}) {
  const { db, registrations, logger } = deps;
  const batchSize = deps.batchSize ?? 200;
  const queue: string[] = [];
  let current: string | null = null;
  let worker: Promise<void> | null = null;
  let stopped = false;

  async function openCursor(trx: Trx, importId: string): Promise<Cursor> {
    const file = await trx
      .selectFrom("import_files")
      .select("content")
      .where("import_id", "=", importId)
      .executeTakeFirstOrThrow();
    const rows = records(file.content);
    const header = await rows.next();
    if (header.done) throw new Error("import file has no header");
    return { importId, rows, columns: mapHeader(header.value, { unknown: true }), position: 0 };
  }

  async function importRow(
    trx: Trx,
    organizationId: string,
    eventId: string,
    cells: string[],
    cursor: Cursor,
  ) {
    const parsed = parseRow(cells, cursor.columns);
    if (!parsed.ok) return parsed.problem;
    await sql`SAVEPOINT import_row`.execute(trx);
    try {
      await registrations.registerIn(trx, organizationId, eventId, {
        contact: parsed.person,
        sessionIds: parsed.sessionIds,
        source: "import",
      });
      await sql`RELEASE SAVEPOINT import_row`.execute(trx);
      return null;
    } catch (error) {
      await sql`ROLLBACK TO SAVEPOINT import_row`.execute(trx);
      const problem = classify(error, cursor.columns);
      if (!problem) throw error;
      return problem;
    }
  }

  /** Runs the next batch of an import; answers whether rows remain. */
  async function processBatch(importId: string, holder: CursorHolder = {}): Promise<boolean> {
    return db.transaction().execute(async (trx) => {
      const imp = await trx
        .selectFrom("imports")
        .selectAll()
        .where("id", "=", importId)
        .forUpdate()
        .executeTakeFirst();
      if (!imp || imp.status === "completed" || imp.status === "failed") return false;
      let cursor = holder.current;
      // Someone else (another runner) may have moved on, or we may be behind: realign.
      if (!cursor || cursor.importId !== importId || cursor.position > imp.processed_rows) {
        await cursor?.rows.return?.();
        cursor = await openCursor(trx, importId);
        holder.current = cursor;
      }
      while (cursor.position < imp.processed_rows) {
        if ((await cursor.rows.next()).done) break;
        cursor.position++;
      }
      const errors: { import_id: string; row_number: number; field: string | null; message: string }[] = [];
      let taken = 0;
      let exhausted = false;
      while (taken < batchSize) {
        const next = await cursor.rows.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        cursor.position++;
        taken++;
        const problem = await importRow(trx, imp.organization_id, imp.event_id, next.value, cursor);
        // Row numbers as a spreadsheet shows them: the header is row 1.
        if (problem) errors.push({ import_id: importId, row_number: cursor.position + 1, ...problem });
      }
      for (let i = 0; i < errors.length; i += 500)
        await trx
          .insertInto("import_row_errors")
          .values(errors.slice(i, i + 500))
          .execute();
      const processed = imp.processed_rows + taken;
      const done = exhausted || processed >= imp.total_rows;
      await trx
        .updateTable("imports")
        .set({
          status: done ? "completed" : "running",
          processed_rows: processed,
          total_rows: done ? processed : imp.total_rows,
          succeeded_rows: imp.succeeded_rows + taken - errors.length,
          failed_rows: imp.failed_rows + errors.length,
          finished_at: done ? new Date() : null,
        })
        .where("id", "=", importId)
        .execute();
      if (done) {
        await cursor.rows.return?.();
        holder.current = undefined;
      }
      return !done;
    });
  }

  async function run(importId: string) {
    const holder: CursorHolder = {};
    let attempts = 0;
    try {
      while (!stopped) {
        try {
          if (!(await processBatch(importId, holder))) return;
          attempts = 0;
        } catch (error) {
          attempts++;
          holder.current = undefined;
          // The code only: database errors can quote row values (personal data).
          const code = (error as { code?: unknown }).code;
          logger?.error({ importId, attempt: attempts, code }, "import batch failed");
          if (attempts >= MAX_ATTEMPTS) {
            await db
              .updateTable("imports")
              .set({ status: "failed", finished_at: new Date() })
              .where("id", "=", importId)
              .execute()
              .catch(() => {});
            return;
          }
          await sleep(250 * attempts);
        }
      }
    } finally {
      await holder.current?.rows.return?.();
    }
  }

  async function work() {
    while (!stopped) {
      const id = queue.shift();
      if (id === undefined) return;
      current = id;
      try {
        await run(id);
      } finally {
        current = null;
      }
    }
  }

  function ensureWorker() {
    if (worker || stopped || queue.length === 0) return;
    worker = work().finally(() => {
      worker = null;
      ensureWorker();
    });
  }

  return {
    processBatch,

    /** Queues an import; one import runs at a time per process, in upload order. */
    enqueue(importId: string) {
      if (current !== importId && !queue.includes(importId)) queue.push(importId);
      ensureWorker();
    },

    /** Called at start: picks up every import a stop or crash left unfinished. */
    async resumeUnfinished(): Promise<string[]> {
      stopped = false;
      const rows = await db
        .selectFrom("imports")
        .select("id")
        .where("status", "in", ["pending", "running"])
        .orderBy("id")
        .execute();
      for (const row of rows) if (current !== row.id && !queue.includes(row.id)) queue.push(row.id);
      ensureWorker();
      return rows.map((r) => r.id);
    },

    /** Finishes the batch in flight and stops; what is left resumes on the next start. */
    async stop() {
      stopped = true;
      queue.length = 0;
      await worker;
    },

    /** Resolves when nothing is queued or running. */
    async whenIdle() {
      while (worker) await worker;
    },
  };
}

export type ImportRunner = ReturnType<typeof createImportRunner>;
