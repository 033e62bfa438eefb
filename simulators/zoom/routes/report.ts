// GET /report/webinars/{webinarId}/participants (Heavy): the published report, one row per join
// segment, paged with page_size/next_page_token. `registrant_id` only with
// include_fields=registrant_id, as in ReportsGetWebinarParticipantReportsQueryParams.
import { pageSize, type RouteDef, webinarNotFound, ZoomError } from "../http.ts";

export const reportRoutes: RouteDef[] = [
  {
    method: "GET",
    path: "/report/webinars/{webinarId}/participants",
    category: "heavy",
    handler: (ctx) => {
      // Deleted webinars keep their report at Zoom; only unknown ones are refused.
      const raw = ctx.params.webinarId ?? "";
      const w = /^\d+$/.test(raw) ? ctx.state.webinars.get(Number(raw)) : undefined;
      if (!w || w.accountId !== ctx.accountId) throw webinarNotFound(raw);
      const size = pageSize(ctx.query);
      const page = ctx.state.page(`report:${w.id}`, w.report, size, ctx.query.next_page_token);
      if (!page) throw new ZoomError(400, 300, "The next page token is invalid or expired.");
      const withRegistrant = ctx.query.include_fields === "registrant_id";
      return {
        status: 200,
        body: {
          page_count: Math.ceil(w.report.length / size),
          page_size: size,
          total_records: w.report.length,
          next_page_token: page.next,
          participants: page.items.map(({ registrant_id, ...row }) =>
            withRegistrant && registrant_id ? { ...row, registrant_id } : row,
          ),
        },
      };
    },
  },
];
