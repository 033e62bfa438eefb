import { type DrainMeasurement, drainSettings, measureDrain } from "./drain.ts";
import { type BenchResult, log, num, type Options, round } from "./lib.ts";

/**
 * The drain (bench/drain.ts: registrations pushed to the ON24 simulator by `auditorium worker`
 * processes on one server PostgreSQL) with 1, 2 and 4 worker processes, once with the
 * simulator's quota above what the processes can send (throughput should grow with
 * processes) and once below it (the shared per-account limit must hold the aggregate at the
 * quota however many processes there are). The configuration's rate is the quota, as an
 * operator would set it.
 *
 * "Never above quota" means the simulator refused nothing for quota: it counts requests in
 * fixed one-second windows and answers 403 to any beyond the quota, so 0 refusals means no
 * window saw more than the quota. The busiest ~1 s sample is printed too (not window-aligned).
 *
 * Options: --registrations 400 (per run), --above 500, --below 20 (requests/s quotas),
 * --processes 1,2,4, and the drain's --concurrency, --latency, --quota-pause.
 */
export async function run(options: Options): Promise<BenchResult> {
  const registrations = num(options, "registrations", 400);
  const above = num(options, "above", 500);
  const below = num(options, "below", 20);
  const counts = (options.processes ?? "1,2,4").split(",").map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--processes must list positive integers, got ${s}`);
    return n;
  });
  const runs: { quota: "above" | "below"; m: DrainMeasurement }[] = [];
  for (const [quota, rate] of [
    ["above", above],
    ["below", below],
  ] as const) {
    for (const workers of counts) {
      log(`scale: ${workers} worker process(es), quota ${rate}/s (${quota} capacity)`);
      const settings = {
        ...drainSettings({ ...options, rate: String(rate) }),
        registrations,
        workers,
        timeoutSeconds: num(options, "timeout", Math.max(120, (3 * registrations) / rate)),
      };
      runs.push({ quota, m: await measureDrain(settings) });
    }
  }
  const neverAbove = runs.every((r) => r.m.quotaAnswers === 0);
  const rows: BenchResult["rows"] = runs.map(({ quota, m }) => [
    `quota ${m.settings.rate}/s (${quota}), ${m.settings.workers} process(es)`,
    round(m.perSecond),
    `reg/s; ${m.synced}/${registrations} synced in ${round(m.seconds)} s, ${m.quotaAnswers} quota answers, busiest sample ${round(m.busiestSecond)}, duplicates ${m.duplicates}${m.timedOut ? ", TIMED OUT" : ""}`,
  ]);
  for (const quota of ["above", "below"] as const) {
    const of = runs.filter((r) => r.quota === quota);
    const base = of[0]?.m.perSecond ?? Number.NaN;
    rows.push([
      `scaling, quota ${quota}: rate ÷ rate with ${of[0]?.m.settings.workers}`,
      of.map((r) => round(r.m.perSecond / base, 2)).join(" / "),
      `for ${of.map((r) => r.m.settings.workers).join(" / ")} processes`,
    ]);
  }
  rows.push(["never above quota", neverAbove ? "yes" : "no", "0 quota answers (403) in every run"]);
  return {
    name: "scale",
    rows,
    json: {
      registrations,
      runs: runs.map(({ quota, m }) => ({
        quota,
        rate: m.settings.rate,
        workers: m.settings.workers,
        perSecond: round(m.perSecond),
        seconds: round(m.seconds),
        synced: m.synced,
        quotaAnswers: m.quotaAnswers,
        busiestSecond: round(m.busiestSecond),
        duplicates: m.duplicates,
        timedOut: m.timedOut,
      })),
      neverAboveQuota: neverAbove,
      met: neverAbove,
    },
  };
}
