import type { Dashboard } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { ChannelView } from "./channel-view.tsx";
import { Figure, LabelledBars, OverTimeChart } from "./charts.tsx";

/** The dashboard's numbers: each chart has values on its bars and a sentence for screen readers. */
export function DashboardView({ data }: { data: Dashboard }) {
  const { t, dateTime, number } = useI18n();
  const f = data.funnel;
  const funnel = [
    { step: t("dash.registered"), people: f.registered },
    { step: t("dash.attendedLive"), people: f.attendedLive },
    { step: t("dash.watchedOnDemand"), people: f.watchedOnDemand },
    { step: t("dash.noShow"), people: f.noShow },
  ];
  const histogram = data.minutesHistogram.map((b) => ({
    bucket:
      b.toMinutes === null
        ? t("dash.bucketOpen", { from: b.fromMinutes })
        : t("dash.bucket", { from: b.fromMinutes, to: b.toMinutes }),
    people: b.count,
  }));
  const lv = data.liveVsOnDemand;
  const split = [
    { kind: t("dash.live"), minutes: lv.liveMinutes, viewers: lv.liveViewers },
    { kind: t("dash.onDemand"), minutes: lv.onDemandMinutes, viewers: lv.onDemandViewers },
  ];
  const days = data.registrationsOverTime;
  const busiest = days.reduce((a, b) => (b.count > (a?.count ?? -1) ? b : a), days[0]);
  const describe = (rows: { label: string; value: number }[]) =>
    rows.map((r) => `${r.label}: ${number(r.value)}`).join("; ");
  if (data.webinars.length === 0) return <p>{t("dash.noWebinar")}</p>;
  return (
    <div className="dashboard">
      <p className="muted" data-testid="freshness">
        {t("dash.fresh", {
          registrations: dateTime(data.freshness.registrations),
          attendance: data.freshness.attendance
            ? dateTime(data.freshness.attendance)
            : t("dash.noAttendanceYet"),
          computed: dateTime(data.freshness.computedAt),
        })}
      </p>
      <dl className="numbers" data-testid="funnel">
        {funnel.map((s) => (
          <div key={s.step}>
            <dt>{s.step}</dt>
            <dd>{number(s.people)}</dd>
          </div>
        ))}
      </dl>
      <div className="charts">
        <Figure
          title={t("dash.funnel")}
          summary={describe(funnel.map((s) => ({ label: s.step, value: s.people })))}
        >
          <LabelledBars data={funnel} category="step" value="people" valueLabel={t("dash.people")} />
        </Figure>
        <Figure
          title={t("dash.overTime")}
          summary={
            busiest
              ? t("dash.overTimeAlt", {
                  days: number(days.length),
                  total: number(days[days.length - 1]?.cumulative ?? 0),
                  day: busiest.date,
                  count: number(busiest.count),
                })
              : t("common.none")
          }
        >
          <OverTimeChart data={days} dailyLabel={t("dash.daily")} cumulativeLabel={t("dash.cumulative")} />
        </Figure>
        <Figure
          title={t("dash.histogram")}
          summary={describe(histogram.map((h) => ({ label: h.bucket, value: h.people })))}
        >
          <LabelledBars
            data={histogram}
            category="bucket"
            value="people"
            valueLabel={t("dash.people")}
            layout="horizontal"
          />
        </Figure>
        <Figure
          title={t("dash.liveVsOnDemand")}
          summary={split
            .map(
              (s) =>
                `${s.kind}: ${number(s.minutes)} ${t("dash.minutes")}, ${number(s.viewers)} ${t("dash.viewers")}`,
            )
            .join("; ")}
        >
          <LabelledBars data={split} category="kind" value="minutes" valueLabel={t("dash.minutes")} />
        </Figure>
      </div>
      <ChannelView channels={data.byChannel ?? []} />
      <section aria-labelledby="top-title">
        <h3 id="top-title">{t("dash.top")}</h3>
        <table data-testid="top-attendees">
          <thead>
            <tr>
              <th scope="col">{t("regs.col.name")}</th>
              <th scope="col">{t("regs.col.email")}</th>
              <th scope="col">{t("dash.minutes")}</th>
              <th scope="col">{t("dash.engagement")}</th>
            </tr>
          </thead>
          <tbody>
            {data.topAttendees.map((a) => (
              <tr key={a.registrationId}>
                <td>
                  {a.firstName} {a.lastName}
                </td>
                <td>{a.email}</td>
                <td>{number(a.minutes)}</td>
                <td>{a.engagementScore === null ? t("common.none") : number(a.engagementScore)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="interactions-title">
        <h3 id="interactions-title">{t("dash.interactions")}</h3>
        <dl className="numbers">
          <div>
            <dt>{t("dash.questions")}</dt>
            <dd>{number(data.interactions.questionsAsked)}</dd>
          </div>
          <div>
            <dt>{t("dash.polls")}</dt>
            <dd>{number(data.interactions.pollsAnswered)}</dd>
          </div>
          <div>
            <dt>{t("dash.resources")}</dt>
            <dd>{number(data.interactions.resourcesDownloaded)}</dd>
          </div>
        </dl>
      </section>
      <details>
        <summary>{t("dash.tableAlt")}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{t("dash.overTime")}</th>
              <th scope="col">{t("dash.daily")}</th>
              <th scope="col">{t("dash.cumulative")}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <td>{d.date}</td>
                <td>{number(d.count)}</td>
                <td>{number(d.cumulative)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
