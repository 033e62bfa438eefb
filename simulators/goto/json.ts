// JSON with int64 keys. GoTo writes its keys as bare JSON numbers, many above 2^53, so a client
// that uses JSON.parse rounds them. The simulator keeps keys as bigint and writes them the same way.

const MARK = "\u0001bigint:";

/** JSON.stringify, except that bigint values are written as bare integer literals. */
export function stringify(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${MARK}${v.toString()}` : v));
  // JSON.stringify escapes U+0001 as \u0001, so the marker cannot collide with data that contains it raw.
  return text.replace(/"\\u0001bigint:(-?\d+)"/g, "$1");
}
