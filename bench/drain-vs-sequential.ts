import { type ProviderAccount, ProviderError } from "../src/providers/contract.ts";
import { createOn24Provider } from "../src/providers/on24/adapter.ts";
import { type DrainMeasurement, drainSettings, lastDrain, measureDrain } from "./drain.ts";
import {
  type BenchResult,
  log,
  num,
  ON24_ACCOUNT,
  type Options,
  round,
  sleep,
  startSimulator,
} from "./lib.ts";

/**
 * The drain (reused from this run when `drain` ran before it with the same options, else
 * measured here) ÷ what a plain client-library script does: one `register` call at a time
 * through the same ON24 adapter, against a simulator with the same quota and latency, for a
 * sample (--sample 300) extrapolated to the drain's size. On a quota answer the loop waits
 * for the next quota window (1 s) and repeats the call, the simplest correct script.
 */
export async function run(options: Options): Promise<BenchResult> {
  const settings = drainSettings(options);
  const sample = num(options, "sample", 300);
  let drain: DrainMeasurement;
  let reused = false;
  if (lastDrain && JSON.stringify(lastDrain.settings) === JSON.stringify(settings)) {
    drain = lastDrain;
    reused = true;
  } else drain = await measureDrain(settings);

  const sim = await startSimulator({
    quota: { limit: settings.rate, windowMs: 1000 },
    latencyMs: settings.latencyMs,
  });
  try {
    const provider = createOn24Provider({ baseUrls: sim.baseUrls });
    const account: ProviderAccount = {
      credentials: {
        clientId: Buffer.from(ON24_ACCOUNT.clientId),
        accessTokenKey: Buffer.from(ON24_ACCOUNT.accessTokenKey),
        accessTokenSecret: Buffer.from(ON24_ACCOUNT.accessTokenSecret),
      },
      settings: { region: "NA" },
    };
    const start = new Date(Date.now() + 24 * 3600_000);
    const webinar = await provider.createWebinar(account, {
      title: "Sequential baseline",
      description: "",
      startsAt: start,
      endsAt: new Date(start.getTime() + 3600_000),
      timeZone: "Europe/Oslo",
      language: "en",
    });
    log(`drain-vs-sequential: ${sample} sequential register calls`);
    const t0 = performance.now();
    for (let i = 0; i < sample; i++) {
      for (;;) {
        try {
          await provider.register(account, webinar.providerWebinarId, {
            email: `seq${i}@example.com`,
            firstName: `S${i}`,
            lastName: "Sequential",
            company: "Acme",
            jobTitle: null,
          });
          break;
        } catch (error) {
          if (error instanceof ProviderError && error.retryable) await sleep(1000 - (Date.now() % 1000));
          else throw error;
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const sequential = sample / seconds;
    const ratio = drain.perSecond / sequential;
    const extrapolated = settings.registrations / sequential;
    return {
      name: "drain-vs-sequential",
      rows: [
        ["drain registrations/s", round(drain.perSecond), reused ? "the drain above" : "measured here"],
        [
          "sequential registrations/s",
          round(sequential),
          `${sample} calls in ${round(seconds)} s, latency ${settings.latencyMs} ms, ${sim.state.quotaRefused} quota answers`,
        ],
        [
          `time for ${settings.registrations}: drain / sequential`,
          `${round(drain.seconds)} s / ${round(extrapolated)} s`,
          "sequential extrapolated",
        ],
        // The drain cannot beat the quota, so the ratio cannot beat R ÷ sequential: at 50 ms
        // and R = 100 that is about 5, whatever the drain does.
        ["ceiling R ÷ sequential", round(settings.rate / sequential, 2), "the quota bounds the drain"],
        ["ratio drain ÷ sequential", round(ratio, 2), "goal ≥ 10"],
      ],
      json: {
        ...settings,
        sample,
        drainPerSecond: round(drain.perSecond),
        sequentialPerSecond: round(sequential),
        sequentialQuotaAnswers: sim.state.quotaRefused,
        sequentialExtrapolatedSeconds: round(extrapolated),
        drainReused: reused,
        ceiling: round(settings.rate / sequential, 2),
        ratio: round(ratio, 2),
        goal: 10,
        met: ratio >= 10,
      },
    };
  } finally {
    await sim.close();
  }
}
