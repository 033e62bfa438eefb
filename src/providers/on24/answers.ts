/**
 * Registration-question answers as ON24 registration fields (AddRegistrantForm in
 * specs/on24/openapi.json): the ten custom fields `std1`…`std10` and the standard fields we
 * do not fill from the contact (`jobFunction`, `companyIndustry`, `country`, …).
 * docs/registration-questions.md, "ON24".
 */
import type { RegistrantAnswer } from "../contract.ts";
import type { On24RegistrationField } from "./schemas.ts";

/**
 * The AddRegistrantForm parameters an answer may fill: the ten custom fields and the standard
 * fields we do not fill from the contact. The one list: an event's question may name one of
 * these (`on24Field`, checked in modules/events/registration-questions.ts), and an answer is
 * sent only to one of these.
 */
export const ON24_ANSWER_FIELDS = [
  ...Array.from({ length: 10 }, (_, i) => `std${i + 1}`),
  "addressStreet1",
  "addressStreet2",
  "city",
  "state",
  "zip",
  "country",
  "workPhone",
  "homePhone",
  "fax",
  "jobFunction",
  "companyIndustry",
  "companySize",
  "partnerRef",
  "other",
  "notes",
] as const;

/** The answer fields by the key ON24's regfield ids reduce to (`jobfunction` → `jobFunction`). */
const ANSWER_FIELDS = new Map<string, string>(ON24_ANSWER_FIELDS.map((name) => [name.toLowerCase(), name]));

/** A regfield id (`job_function`, `std1`) as the key its form parameter reduces to (`jobfunction`). */
export const fieldKey = (fieldid: string) => fieldid.replaceAll("_", "").toLowerCase();

const norm = (s: string) => s.trim().toLowerCase();

/** The answer as ON24 takes text: option labels joined by ", ", a checkbox as Y or N (ON24's flags). */
function on24Value(answer: RegistrantAnswer): string {
  if (typeof answer.value === "boolean") return answer.value ? "Y" : "N";
  return Array.isArray(answer.value) ? answer.value.join(", ") : answer.value;
}

/**
 * Answers keyed by field key: the field the organiser chose (`on24Field`), else the page's
 * field whose caption is the question's label. An answer with neither is not sent: ON24 has
 * no free-form answers, only the fields of the event's registration page.
 */
export function answerFields(
  answers: RegistrantAnswer[] | undefined,
  fields: On24RegistrationField[] | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const answer of answers ?? []) {
    const chosen = answer.on24Field ? fieldKey(answer.on24Field) : undefined;
    const byCaption = fields?.find((f) => norm(f.fieldcaption ?? "") === norm(answer.question));
    const key = chosen ?? (byCaption ? fieldKey(byCaption.fieldid) : undefined);
    if (key === undefined || !ANSWER_FIELDS.has(key)) continue;
    out[key] = on24Value(answer);
  }
  return out;
}

/** The form parameter name of an answer field key (`jobfunction` → `jobFunction`). */
export const formName = (key: string) => ANSWER_FIELDS.get(key) ?? key;
