/**
 * JSON parsing that keeps GoTo's int64 keys exact. GoTo writes webinarKey, registrantKey,
 * sessionKey and organizerKey as bare JSON numbers that exceed 2^53 (docs/providers/goto.md, failure
 * mode 1: a rounded key gives 404 on the next call), so `JSON.parse` must never see them as
 * numbers. Every integer literal outside the safe range is quoted before parsing; the schemas
 * accept keys as digit strings or safe integers and hand them on as strings.
 */

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Rewrites the raw text so that unsafe integer literals become strings, then parses it. */
export function parseJsonKeepingBigInts(text: string): unknown {
  let out = "";
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip a string literal, honouring escapes, so digits inside strings are left alone.
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) break; // malformed: let JSON.parse report it
      const literal = m[0];
      if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(last, i)}"${literal}"`;
        last = i + literal.length;
      }
      i += literal.length;
      continue;
    }
    i++;
  }
  return JSON.parse(last === 0 ? text : out + text.slice(last));
}

const INT64_MARK = "\u0001int64:";

/**
 * JSON.stringify, except that bigint values are written as bare integer literals: GoTo's
 * int64 keys we send back (a registration question's `questionKey`, `answerKey`) stay exact.
 */
export function stringifyKeepingBigInts(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${INT64_MARK}${v.toString()}` : v));
  // JSON.stringify escapes U+0001 as \u0001, so the marker cannot collide with data holding it raw.
  return text.replace(/"\\u0001int64:(-?\d+)"/g, "$1");
}
