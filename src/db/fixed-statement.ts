import { CompiledQuery, type Kysely } from "kysely";
import type { Database } from "./schema.ts";

/**
 * Runs a statement whose text never changes, with its parameters, as it is: no query builder,
 * no compile. For the few statements on the hottest path (group commit's registration insert
 * and contact match-or-create, issue 18), where Kysely building and compiling each statement
 * was about 15 % of the API process's CPU. The text is written once, at module load, with
 * `$n` placeholders; everything else keeps using the builder.
 */
export async function runFixed<Row>(
  executor: Kysely<Database>,
  text: string,
  parameters: readonly unknown[],
): Promise<Row[]> {
  return (await executor.executeQuery<Row>(CompiledQuery.raw(text, [...parameters]))).rows;
}
