// Client-level registrant operations keyed by email: get, PATCH (all events), forget (GDPR).
import { field } from "../forms.ts";
import type { RouteCtx, RouteDef } from "../http.ts";
import { API_DIALECT, ENDPOINT_DIALECT, MSG, On24Error } from "../messages.ts";
import { REG_FIELDS, renderRegistrantRecord } from "../render.ts";
import type { SimRegistrant } from "../types.ts";
import { requireEvent } from "./events.ts";
import { sameEmail } from "./registrants.ts";

/** Fields ON24's forget endpoints overwrite; the rest (partnerref, notes, …) is left untouched. */
const FORGET_NULLED = [
  "company",
  "addressstreet1",
  "addressstreet2",
  "city",
  "state",
  "zip",
  "homephone",
  "workphone",
  "fax",
  "companyindustry",
  "username",
  "jobfunction",
  "companysize",
  "jobtitle",
  "country",
  "std1",
  "std2",
  "std3",
  "std4",
  "std5",
  "std6",
  "std7",
  "std8",
  "std9",
  "std10",
];
const FORGET_MAX = 100_000;

export function forget(ctx: RouteCtx, r: SimRegistrant): void {
  for (const k of FORGET_NULLED) delete r.fields[k];
  Object.assign(r.fields, {
    email: `${r.eventuserid}-deleted`,
    firstname: "deleted",
    lastname: "deleted",
    eventemail: "N",
    marketingemail: "N",
  });
  r.status = "forgotten";
  r.lastActivity = ctx.state.now();
}

function clientRegistrants(ctx: RouteCtx, email: string): SimRegistrant[] {
  return ctx.state.visibleRegistrants(
    (r) => r.clientId === ctx.clientId && r.status !== "forgotten" && sameEmail(r.fields.email, email),
  );
}

export const peopleRoutes: RouteDef[] = [
  {
    method: "GET",
    path: "/client/{clientId}/registrant/{email}",
    operationId: "AnalyticsClientLevel.RegistrantByEmail",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const email = ctx.params.email ?? "";
      const { eventid, partnerref } = ctx.query;
      const matches = clientRegistrants(ctx, email).filter(
        (r) =>
          (eventid === undefined || String(r.eventId) === eventid) &&
          (partnerref === undefined || r.fields.partnerref === partnerref),
      );
      // "Returns most recent registration information for a specific email address."
      const latest = matches.sort((a, b) => b.createdAt - a.createdAt || b.eventuserid - a.eventuserid)[0];
      if (!latest) {
        throw new On24Error(404, eventid ? MSG.noRegistrantForEmailAndEvent : MSG.noRegistrantForEmail);
      }
      return { body: { registrant: renderRegistrantRecord(latest, "byEmail") } };
    },
  },
  {
    // No validation of values (documented); a body `email` renames every match unless it collides.
    method: "PATCH",
    path: "/client/{clientId}/registrant/{email}",
    operationId: "Registration.UpdateRegistrantClientlevel",
    dialect: ENDPOINT_DIALECT,
    handler: (ctx) => {
      const matches = clientRegistrants(ctx, ctx.params.email ?? "");
      if (matches.length === 0) throw new On24Error(404, MSG.noRegistrantForEmail);
      const values: Record<string, string> = {};
      for (const k of REG_FIELDS) {
        const v = field(ctx.form, k);
        if (v !== undefined) values[k] = v;
      }
      const newEmail = values.email;
      if (newEmail !== undefined) {
        const collides = matches.some((m) =>
          [...ctx.state.registrants.values()].some(
            (o) =>
              o !== m &&
              o.eventId === m.eventId &&
              o.status !== "forgotten" &&
              sameEmail(o.fields.email, newEmail),
          ),
        );
        if (collides) throw new On24Error(400, MSG.emailCollision);
      }
      const now = ctx.state.now();
      for (const r of matches) {
        Object.assign(r.fields, values);
        r.lastActivity = now;
      }
      return { body: { updatedregistrants: matches.map((r) => r.eventuserid) } };
    },
  },
  {
    method: "POST",
    path: "/client/{clientId}/forget",
    operationId: "Registration.ForgetRegistrantClientlevel",
    dialect: ENDPOINT_DIALECT,
    handler: (ctx) => {
      const raw = field(ctx.form, "email");
      if (raw === undefined) throw new On24Error(400, MSG.emailMissing);
      const emails = raw
        .split(",")
        .map((e) => e.trim())
        .filter(Boolean);
      if (emails.length === 0) throw new On24Error(400, MSG.emailBlank);
      const eventid = field(ctx.form, "eventid");
      const matches = emails
        .flatMap((e) => clientRegistrants(ctx, e))
        .filter((r) => eventid === undefined || String(r.eventId) === eventid);
      if (matches.length === 0) throw new On24Error(404, MSG.noRegistrantForEmail);
      for (const r of matches) forget(ctx, r);
      return { body: { deletedregistrants: { eventuserids: matches.map((r) => r.eventuserid) } } };
    },
  },
  {
    method: "POST",
    path: "/client/{clientId}/event/{eventId}/forgetall",
    operationId: "Registration.ForgetAllRegistrantEventlevel",
    dialect: API_DIALECT,
    handler: (ctx) => {
      const ev = requireEvent(ctx);
      const matches = [...ctx.state.registrants.values()].filter(
        (r) => r.eventId === ev.eventId && r.status !== "forgotten",
      );
      if (matches.length > FORGET_MAX) throw new On24Error(400, MSG.tooManyToForget);
      for (const r of matches) forget(ctx, r);
      return { body: { deletedregistrants: { eventuserids: matches.map((r) => r.eventuserid) } } };
    },
  },
];
