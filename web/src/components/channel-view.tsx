import type { Dashboard } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Figure, LabelledBars } from "./charts.tsx";

/**
 * Registrations and attendance by campaign channel (issue 15 point 8): a bar chart of
 * registrations per channel, and the same numbers, with attendance, as a table — the
 * table is the chart's equivalent for anyone who cannot see it.
 */
export function ChannelView({ channels }: { channels: Dashboard["byChannel"] }) {
  const { t, number } = useI18n();
  const label = (c: Dashboard["byChannel"][number]) => {
    const source = c.source === "direct" && c.medium === null ? t("dash.channelDirect") : c.source;
    return c.medium ? `${source} / ${c.medium}` : source;
  };
  const rows = channels.map((c) => ({ ...c, channel: label(c) }));
  const rate = (c: { registered: number; attended: number }) =>
    c.registered === 0 ? "–" : `${number(Math.round((c.attended / c.registered) * 100))} %`;
  return (
    <section aria-labelledby="channels-title" data-testid="by-channel">
      <h3 id="channels-title">{t("dash.channels")}</h3>
      {rows.length === 0 ? (
        <p>{t("dash.noChannels")}</p>
      ) : (
        <>
          <Figure
            title={t("dash.channelsChart")}
            summary={rows
              .map((c) =>
                t("dash.channelsAlt", {
                  channel: c.channel,
                  registered: number(c.registered),
                  attended: number(c.attended),
                }),
              )
              .join("; ")}
          >
            <LabelledBars
              data={rows.map((c) => ({ channel: c.channel, registered: c.registered }))}
              category="channel"
              value="registered"
              valueLabel={t("dash.registered")}
            />
          </Figure>
          <table data-testid="by-channel-table">
            <thead>
              <tr>
                <th scope="col">{t("dash.channel")}</th>
                <th scope="col">{t("dash.registered")}</th>
                <th scope="col">{t("dash.attended")}</th>
                <th scope="col">{t("dash.noShow")}</th>
                <th scope="col">{t("dash.attendanceRate")}</th>
                <th scope="col">{t("dash.liveMinutes")}</th>
                <th scope="col">{t("dash.onDemandMinutes")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={`${c.source}\u0000${c.medium ?? ""}`}>
                  <th scope="row">{c.channel}</th>
                  <td>{number(c.registered)}</td>
                  <td>{number(c.attended)}</td>
                  <td>{number(c.noShow)}</td>
                  <td>{rate(c)}</td>
                  <td>{number(c.liveMinutes)}</td>
                  <td>{number(c.onDemandMinutes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
