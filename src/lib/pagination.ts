import { badRequest } from "./errors.ts";
import { isUuid } from "./ids.ts";

/**
 * Cursor pagination over UUIDv7 primary keys: ids are time-ordered, so "after this id" is
 * a stable position even while rows are inserted. The cursor is opaque to clients.
 */
export const encodeCursor = (id: string) => Buffer.from(id).toString("base64url");

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, "base64url").toString();
  if (!isUuid(id)) throw badRequest("cursor is not one this API issued", "cursor");
  return id;
}

export function toPage<T extends { id: string }>(rows: T[], limit: number) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data.at(-1);
  return { data, nextCursor: hasMore && last ? encodeCursor(last.id) : null };
}
