import { Readable } from "node:stream";
import { sql } from "kysely";
import type { Db } from "../../db/database.ts";
import type { ImportRow } from "../../db/schema.ts";
import type { Caller } from "../../http/auth.ts";
import { conflict, notFound } from "../../lib/errors.ts";
import { uuidv7 } from "../../lib/ids.ts";
import type { Logger } from "../../lib/logger.ts";
import { decodeCursor, toPage } from "../../lib/pagination.ts";
import type { EventService } from "../events/events.service.ts";
import { CAMPAIGN_COLUMNS, type Campaign, campaignSelection } from "../registrations/campaign.ts";
import type { RegistrationService } from "../registrations/registrations.service.ts";
import {
  attendedSql,
  RESULT_COLUMNS,
  type ResultRow,
  resultCells,
  resultsLateral,
} from "../registrations/results.ts";
import { csvLines, guardCell, inspect } from "./imports.csv.ts";
import { createImportRunner } from "./imports.runner.ts";
import type { ImportDto } from "./imports.schemas.ts";
import { questionColumns, questionHeaders } from "./question-columns.ts";

/** Rows fetched per query while streaming a CSV out: bounded memory for any event size. */
const EXPORT_CHUNK = 1000;

export const EXPORT_COLUMNS = [
  "id",
  "status",
  "source",
  "first_name",
  "last_name",
  "email",
  "company",
  "job_title",
  "sessions",
  "created_at",
  // Results and campaign (issue 16): an import accepts and ignores them.
  ...RESULT_COLUMNS,
  ...CAMPAIGN_COLUMNS,
];

export function toImportDto(row: ImportRow): ImportDto {
  return {
    id: row.id,
    eventId: row.event_id,
    status: row.status,
    fileName: row.file_name,
    totalRows: row.total_rows,
    processedRows: row.processed_rows,
    succeededRows: row.succeeded_rows,
    failedRows: row.failed_rows,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    errorReportUrl: `/api/v1/imports/${row.id}/errors.csv`,
  };
}

/**
 * CSV import and export of registrations. An upload is checked (header, well-formed CSV),
 * stored whole and answered at once; the runner registers its rows in the background.
 */
export function createImportService(deps: {
  db: Db;
  registrations: RegistrationService;
  events: Pick<EventService, "get">;
  logger?: Logger | undefined;
  batchSize?: number;
}) {
  const { db } = deps;
  const runner = createImportRunner(deps);

  const eventOf = (organizationId: string, eventId: string) => deps.events.get(organizationId, eventId);

  async function get(organizationId: string, id: string) {
    const row = await db
      .selectFrom("imports")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound("Import");
    return row;
  }

  return {
    processBatch: runner.processBatch,
    resumeUnfinished: runner.resumeUnfinished,
    stop: runner.stop,
    whenIdle: runner.whenIdle,

    async create(caller: Caller, eventId: string, content: string, fileName: string): Promise<ImportDto> {
      const event = await eventOf(caller.organizationId, eventId);
      if (event.status === "cancelled") throw conflict("event_cancelled", "The event is cancelled");
      const { rows } = await inspect(content, questionHeaders(event.registration_questions));
      const id = uuidv7();
      const row = await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto("imports")
          .values({
            id,
            organization_id: caller.organizationId,
            event_id: eventId,
            status: "pending",
            file_name: fileName,
            total_rows: rows,
            processed_rows: 0,
            succeeded_rows: 0,
            failed_rows: 0,
            created_by: caller.userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx.insertInto("import_files").values({ import_id: id, content }).execute();
        return inserted;
      });
      runner.enqueue(id);
      return toImportDto(row);
    },

    async get(organizationId: string, id: string) {
      return toImportDto(await get(organizationId, id));
    },

    /** Newest first. */
    async list(
      organizationId: string,
      eventId: string,
      query: { limit: number; cursor?: string | undefined },
    ) {
      await eventOf(organizationId, eventId);
      const after = decodeCursor(query.cursor);
      const rows = await db
        .selectFrom("imports")
        .selectAll()
        .where("organization_id", "=", organizationId)
        .where("event_id", "=", eventId)
        .$if(after !== undefined, (q) => q.where("id", "<", after as string))
        .orderBy("id", "desc")
        .limit(query.limit + 1)
        .execute();
      const result = toPage(rows, query.limit);
      return { data: result.data.map(toImportDto), nextCursor: result.nextCursor };
    },

    /** The per-row error report: row (the header is row 1), field (the file's column name), message. */
    async errorReport(organizationId: string, id: string): Promise<Readable> {
      await get(organizationId, id);
      async function* lines() {
        yield csvLines([["row", "field", "message"]]);
        let after = 0;
        for (;;) {
          const chunk = await db
            .selectFrom("import_row_errors")
            .select(["row_number", "field", "message"])
            .where("import_id", "=", id)
            .where("row_number", ">", after)
            .orderBy("row_number")
            .limit(EXPORT_CHUNK)
            .execute();
          if (chunk.length === 0) return;
          yield csvLines(chunk.map((e) => [e.row_number, guardCell(e.field), guardCell(e.message)]));
          after = chunk.at(-1)?.row_number ?? after;
        }
      }
      return Readable.from(lines(), { objectMode: false });
    },

    /** All registrations of an event as CSV, streamed in chunks; formula-looking cells are neutralised. */
    async exportRegistrations(organizationId: string, eventId: string): Promise<Readable> {
      const event = await eventOf(organizationId, eventId);
      const questions = questionColumns(event.registration_questions);
      async function* lines() {
        yield csvLines([[...EXPORT_COLUMNS, ...questions.header]]);
        let after: string | undefined;
        for (;;) {
          const chunk = (
            await sql<
              ResultRow &
                Campaign & {
                  id: string;
                  status: string;
                  source: string;
                  created_at: Date;
                  first_name: string;
                  last_name: string;
                  email: string;
                  company: string | null;
                  job_title: string | null;
                  answers: Record<string, string | string[] | boolean>;
                }
            >`select r.id, r.status, r.source, r.created_at, c.first_name, c.last_name, c.email,
                c.company, c.job_title, ${campaignSelection("r")}, r.answers,
                res.*, ${attendedSql("r")} as attended
              from registrations r join contacts c on c.id = r.contact_id
                cross join ${resultsLateral("r")}
              where r.organization_id = ${organizationId} and r.event_id = ${eventId}
                and ${after === undefined ? sql`true` : sql`r.id > ${after}`}
              order by r.id limit ${EXPORT_CHUNK}`.execute(db)
          ).rows;
          if (chunk.length === 0) return;
          const sessions = new Map<string, string[]>();
          const links = await db
            .selectFrom("registration_sessions")
            .select(["registration_id", "session_id"])
            .where(
              "registration_id",
              "in",
              chunk.map((r) => r.id),
            )
            .orderBy("session_id")
            .execute();
          for (const l of links)
            sessions.set(l.registration_id, [...(sessions.get(l.registration_id) ?? []), l.session_id]);
          yield csvLines(
            chunk.map((r) => [
              r.id,
              r.status,
              r.source,
              guardCell(r.first_name),
              guardCell(r.last_name),
              guardCell(r.email),
              guardCell(r.company),
              guardCell(r.job_title),
              (sessions.get(r.id) ?? []).join(";"),
              new Date(r.created_at).toISOString(),
              ...resultCells(r),
              ...CAMPAIGN_COLUMNS.map((c) => guardCell(r[c])),
              ...questions.cells(r.answers),
            ]),
          );
          after = chunk.at(-1)?.id;
        }
      }
      return Readable.from(lines(), { objectMode: false });
    },
  };
}

export type ImportService = ReturnType<typeof createImportService>;
