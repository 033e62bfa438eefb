/**
 * Our reference in a webinar's description, for providers whose webinar listing returns no
 * field of ours but the description (Zoom's `agenda`, GoTo's `description`). The reference is
 * the last line, so it survives truncation of a long description and is recognisable to a
 * person reading it; `hasReference` matches that line only. See docs/webinars.md.
 */
const line = (externalRef: string) => `Ref: auditorium-${externalRef}`;

/** Cuts on code points so a surrogate pair is never split. */
const cut = (text: string, max: number) => Array.from(text).slice(0, Math.max(0, max)).join("");

/** The description with our reference as its last line, within `max` characters. */
export function withReference(description: string, externalRef: string | undefined, max: number): string {
  const text = description.trim();
  if (externalRef === undefined) return cut(text, max).trimEnd();
  const ref = line(externalRef);
  const kept = cut(text, max - ref.length - 2).trimEnd();
  return kept === "" ? ref : `${kept}\n\n${ref}`;
}

/** Whether the description's last line is our reference (a provider may trim or re-wrap around it). */
export function hasReference(description: string | null | undefined, externalRef: string): boolean {
  const lines = (description ?? "").trim().split(/\r?\n/);
  return lines[lines.length - 1]?.trim() === line(externalRef);
}
