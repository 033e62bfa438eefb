import { Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { stringify } from "csv-stringify/sync";
import { uuid } from "../../http/schemas.ts";
import { AppError, badRequest } from "../../lib/errors.ts";
import { type PersonInput, personInput } from "../contacts/contacts.schemas.ts";
import { CAMPAIGN_COLUMNS } from "../registrations/campaign.ts";
import { RESULT_COLUMNS } from "../registrations/results.ts";

/** Columns an import understands, keyed by the header name with case, spaces, `_` and `-` removed. */
const COLUMNS = {
  email: "email",
  firstname: "firstName",
  lastname: "lastName",
  company: "company",
  jobtitle: "jobTitle",
  sessions: "sessions",
} as const;
type ColumnKey = (typeof COLUMNS)[keyof typeof COLUMNS];

/** Columns of our own export that an import accepts and ignores, so an export can be re-imported. */
const EXPORT_ONLY = new Set(
  ["id", "status", "source", "created_at", ...RESULT_COLUMNS, ...CAMPAIGN_COLUMNS].map((c) =>
    c.replaceAll("_", ""),
  ),
);
const REQUIRED: { key: ColumnKey; name: string }[] = [
  { key: "email", name: "email" },
  { key: "firstName", name: "first_name" },
  { key: "lastName", name: "last_name" },
];

export const MAX_ROWS = 200_000;
/** A single field longer than this is a broken file (say, an unclosed quote), not a long name. */
const MAX_RECORD_CHARS = 1_000_000;
const CHUNK_BYTES = 64 * 1024;

/** Where each understood column sits in a row, and the header text as the file spells it. */
export interface ColumnMap {
  index: Partial<Record<ColumnKey, number>>;
  label: Partial<Record<ColumnKey, string>>;
  width: number;
}

const normalise = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, "");

/**
 * `skip`: header names of the event's question columns (our export appends them), and
 * `unknown: true` once the upload's header was checked (the runner re-reads it later, when
 * the event's questions may have been renamed).
 */
export function mapHeader(header: string[], skip: { names?: string[]; unknown?: boolean } = {}): ColumnMap {
  const map: ColumnMap = { index: {}, label: {}, width: header.length };
  const unknown: string[] = [];
  const skipped = new Set((skip.names ?? []).map((n) => n.trim()));
  header.forEach((raw, i) => {
    const norm = normalise(raw);
    const key = COLUMNS[norm as keyof typeof COLUMNS];
    if (key === undefined) {
      if (!EXPORT_ONLY.has(norm) && !skipped.has(unguard(raw).trim()) && !skip.unknown)
        unknown.push(raw.trim() === "" ? `(column ${i + 1} has no name)` : raw);
      return;
    }
    if (map.index[key] !== undefined)
      throw new AppError(400, "duplicate_column", `The column ${raw} appears twice`, { field: raw });
    map.index[key] = i;
    map.label[key] = raw.trim();
  });
  if (unknown.length > 0)
    throw new AppError(
      400,
      "unknown_columns",
      `Unknown column${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Known: email, first_name, last_name, company, job_title, sessions`,
      { field: unknown[0] },
    );
  const missing = REQUIRED.filter((r) => map.index[r.key] === undefined).map((r) => r.name);
  if (missing.length > 0)
    throw new AppError(400, "missing_columns", `Missing required column(s): ${missing.join(", ")}`, {
      field: missing[0],
    });
  return map;
}

/**
 * Records of a CSV file, read in 64 KiB slices with back-pressure so a 50 MB file never
 * becomes half a million row arrays in memory at once. Blank lines are skipped.
 */
export function records(content: string): AsyncIterator<string[]> {
  const bytes = Buffer.from(content, "utf8");
  function* slices() {
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
  }
  const parser = Readable.from(slices(), { objectMode: false }).pipe(
    parse({
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: MAX_RECORD_CHARS,
    }),
  );
  return parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
}

/** Reads the whole file once at upload: the header must be usable and the file well-formed. */
export async function inspect(
  content: string,
  questionHeaders: string[] = [],
): Promise<{ columns: ColumnMap; rows: number }> {
  if (content.includes("\u0000")) throw badRequest("The file contains NUL characters; it is not a text CSV");
  const it = records(content);
  let columns: ColumnMap | undefined;
  let rows = 0;
  try {
    for (let next = await it.next(); !next.done; next = await it.next()) {
      if (columns === undefined) columns = mapHeader(next.value, { names: questionHeaders });
      else if (++rows > MAX_ROWS)
        throw new AppError(400, "too_many_rows", `An import takes at most ${MAX_ROWS} rows; split the file`);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      // The parser's own message quotes file content; the code and line are enough to find it.
      const line = (error as { lines?: number }).lines;
      throw new AppError(400, "invalid_csv", `The file is not valid CSV (${error.code} near line ${line})`);
    }
    throw error;
  } finally {
    await it.return?.();
  }
  if (columns === undefined)
    throw new AppError(400, "missing_header", "The file is empty: a header row is required");
  return { columns, rows };
}

/** Undoes our export's formula guard, so an exported file re-imports as the same values. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

export interface RowProblem {
  field: string | null;
  message: string;
}

export type ParsedRow =
  | { ok: true; person: PersonInput; sessionIds: string[] }
  | { ok: false; problem: RowProblem };

/** Validates one data row with the same person schema the API uses. */
export function parseRow(cells: string[], columns: ColumnMap): ParsedRow {
  if (cells.length !== columns.width)
    return {
      ok: false,
      problem: { field: null, message: `has ${cells.length} fields where the header has ${columns.width}` },
    };
  const cell = (key: ColumnKey) => {
    const i = columns.index[key];
    return i === undefined ? undefined : unguard(cells[i] ?? "");
  };
  const result = personInput.safeParse({
    firstName: cell("firstName"),
    lastName: cell("lastName"),
    email: cell("email"),
    company: cell("company"),
    jobTitle: cell("jobTitle"),
  });
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.path[0] as ColumnKey | undefined;
    const value = key ? cell(key) : undefined;
    const message =
      value !== undefined && value.trim() === "" ? "is required" : (issue?.message ?? "is invalid");
    return { ok: false, problem: { field: key ? (columns.label[key] ?? key) : null, message } };
  }
  const sessionIds = (cell("sessions") ?? "")
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
  const sessionsLabel = columns.label.sessions ?? "sessions";
  if (sessionIds.length > 100)
    return { ok: false, problem: { field: sessionsLabel, message: "lists more than 100 sessions" } };
  if (sessionIds.some((s) => !uuid.safeParse(s).success))
    return { ok: false, problem: { field: sessionsLabel, message: "must be session ids separated by ;" } };
  return { ok: true, person: result.data, sessionIds };
}

/** The column a registration error points at, in the file's own spelling. */
export function fieldOfError(error: AppError, columns: ColumnMap): string | null {
  const key: ColumnKey | undefined =
    error.field === "contact.email" ? "email" : error.field === "sessionIds" ? "sessions" : undefined;
  return key ? (columns.label[key] ?? key) : null;
}

/**
 * Spreadsheets run a cell starting with = + - @ (or a tab/CR before one) as a formula; a
 * leading apostrophe makes it text (OWASP "CSV injection").
 */
export const guardCell = (value: string | null | undefined) => {
  const s = value ?? "";
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
};

export const csvLines = (rows: (string | number | null)[][]) => stringify(rows, { record_delimiter: "\r\n" });
