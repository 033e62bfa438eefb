// Registration on GoTo's own page, for tests (not a GoTo API): people who register through the
// webinar's registration page (attendee.gotowebinar.com/register/…) or cancel with the link in
// their confirmation never pass through the REST API. Part of the control API under /_sim.
import { z } from "zod";
import { badRequest, notFound } from "./errors.ts";
import type { Result } from "./pipeline.ts";
import type { GotoSimState } from "./state.ts";
import type { SimRegistrantRecord } from "./types.ts";

const personSchema = z
  .object({
    email: z.string().min(3).max(128),
    firstName: z.string().min(1).max(128),
    lastName: z.string().min(1).max(128),
    company: z.string().max(128).optional(),
    jobTitle: z.string().max(128).optional(),
  })
  .strict();

const numeric = (v: string | undefined) => {
  if (!v || !/^\d{1,19}$/.test(v)) throw badRequest("key must be numeric");
  return BigInt(v);
};

/**
 * `POST /_sim/webinars/{webinarKey}/self-registrations` registers (APPROVED, created once);
 * `POST …/self-registrations/{registrantKey}/cancel` is the registrant's own cancel, which at
 * GoTo deletes the registrant (as DELETE does); `DELETE …/self-registrations/{registrantKey}`
 * removes every trace. Null when the path is none of these.
 */
export function selfRegistration(
  state: GotoSimState,
  method: string,
  seg: string[],
  raw: string,
): Result | null {
  if (seg[0] !== "webinars" || seg[2] !== "self-registrations") return null;
  const w = state.webinars.get(numeric(seg[1]));
  if (!w || w.deleted) throw notFound("unknown webinar");
  if (method === "POST" && seg.length === 3) {
    let json: unknown;
    try {
      json = JSON.parse(raw || "{}");
    } catch {
      throw badRequest("body is not JSON");
    }
    const parsed = personSchema.safeParse(json);
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.path.join(".")).join("; "));
    const p = parsed.data;
    const existing = state
      .registrantsOf(w.webinarKey)
      .find((r) => r.email.toLowerCase() === p.email.toLowerCase());
    if (existing) return { body: { providerRegistrantId: String(existing.registrantKey) } };
    const registrantKey = state.newKey();
    const r: SimRegistrantRecord = {
      registrantKey,
      webinarKey: w.webinarKey,
      responses: [],
      email: p.email,
      firstName: p.firstName,
      lastName: p.lastName,
      fields: {
        ...(p.company !== undefined && { organization: p.company }),
        ...(p.jobTitle !== undefined && { jobTitle: p.jobTitle }),
      },
      registrationDate: new Date(state.now()).toISOString(),
      joinUrl: `https://global.gotowebinar.com/join/${w.webinarKey}/${registrantKey}`,
      status: "APPROVED",
      deleted: false,
    };
    state.registrants.set(registrantKey, r);
    state.noteCreated(w.webinarKey, p.email);
    return { status: 201, body: { providerRegistrantId: String(registrantKey) } };
  }
  const r = state.registrants.get(numeric(seg[3]));
  if (!r || r.webinarKey !== w.webinarKey) throw notFound("unknown registrant");
  if (method === "POST" && seg.length === 5 && seg[4] === "cancel") {
    r.deleted = true;
    return { body: { deleted: true } };
  }
  if (method === "DELETE" && seg.length === 4) {
    state.registrants.delete(r.registrantKey);
    return { body: { removed: true } };
  }
  return null;
}
