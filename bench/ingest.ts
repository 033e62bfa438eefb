import pg from "pg";
import { runWebinar } from "../simulators/on24/run.ts";
import { INGEST_CHUNK } from "../src/modules/webinars/sync/metrics-poll.ts";
import type { AttendanceRecord, ProviderAccount } from "../src/providers/contract.ts";
import { createOn24Provider } from "../src/providers/on24/adapter.ts";
import {
  type BenchResult,
  buildBenchApp,
  createBenchDatabase,
  createOrg,
  log,
  num,
  ON24_ACCOUNT,
  type Options,
  round,
  startSimulator,
  webinarSetup,
} from "./lib.ts";

/**
 * N attendee records from the ON24 simulator into our tables through the real metrics poll
 * (`metrics.poll` handler: adapter → people matching → one set-based upsert per table for
 * each chunk of INGEST_CHUNK records), ÷ a row-by-row upsert loop of the same records into
 * the same tables with `pg` (one lookup and one or two autocommitted upserts per record).
 * Both write into empty attendance/check-in tables; the sums of minutes must agree or the
 * table says so. The poll's time includes its own fetch (the adapter's two list reads and
 * the in-process simulator rendering them); the baseline's records are fetched beforehand.
 *
 * The N registrants exist on both sides beforehand (they registered through us and were
 * synced): seeded in bulk, since seeding is not what is measured.
 *
 * The baseline runs on the first --sample records (its rate is per record and does not
 * depend on N; the whole loop would take most of the run on a loaded machine); the poll always
 * ingests all N. The sums compared are those of the sampled people.
 *
 * Options: --attendees 5000 (the full size is 100000), --sample 1000.
 */
export async function run(options: Options): Promise<BenchResult> {
  const total = num(options, "attendees", 5000);
  const sampleSize = num(options, "sample", 1000);
  const sim = await startSimulator();
  const bench = await createBenchDatabase(10);
  let app: Awaited<ReturnType<typeof buildBenchApp>> | undefined;
  const raw = new pg.Client({ connectionString: bench.url });
  try {
    app = await buildBenchApp(bench.database, {
      AUDITORIUM_ON24_NA_URL: sim.baseUrls.NA,
      AUDITORIUM_ON24_EU_URL: sim.baseUrls.EU,
    });
    const org = await createOrg(bench.database, app.services);
    const setup = await webinarSetup(app, bench.database, org.token, 100);
    await raw.connect();
    const seeded = Date.now();
    const firstUserId = seedSimulator(sim, setup.providerWebinarId, total);
    await seedOurSide(raw, { ...setup, organizationId: org.id, total, firstUserId });
    const published = runWebinar(sim.state, setup.providerWebinarId, { attendanceRate: 1, walkIns: 0 });
    log(`ingest: ${published.attendees} attendees seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

    // The records as the adapter returns them, fetched once (timed: the provider's share).
    const provider = createOn24Provider({ baseUrls: sim.baseUrls });
    const account: ProviderAccount = {
      credentials: {
        clientId: Buffer.from(ON24_ACCOUNT.clientId),
        accessTokenKey: Buffer.from(ON24_ACCOUNT.accessTokenKey),
        accessTokenSecret: Buffer.from(ON24_ACCOUNT.accessTokenSecret),
      },
      settings: { region: "NA" },
    };
    const f0 = performance.now();
    const records: AttendanceRecord[] = [];
    let cursor: string | null = null;
    try {
      do {
        const page = await provider.listAttendance(account, String(setup.providerWebinarId), cursor);
        records.push(...page.records);
        cursor = page.nextCursor;
      } while (cursor !== null);
    } catch (error) {
      // The poll makes the same call, so it could not ingest either: that is the result.
      const message = error instanceof Error ? error.message.slice(0, 200) : String(error);
      const seconds = round((performance.now() - f0) / 1000, 2);
      return {
        name: "ingest",
        rows: [
          ["attendees", total],
          ["fetch through the adapter", "FAILED", `after ${seconds} s: ${message}`],
        ],
        json: { attendees: total, fetchError: message, fetchSeconds: seconds, met: false },
      };
    }
    const fetchSeconds = (performance.now() - f0) / 1000;

    const sample = records.slice(0, sampleSize);
    const sampleIds = sample.map((r) => r.providerRegistrantId);
    log(`ingest: row-by-row baseline, ${sample.length} of ${records.length} records`);
    const b0 = performance.now();
    await rowByRow(raw, setup.webinarId, sample);
    const baselineSeconds = (performance.now() - b0) / 1000;
    const baselineSums = await sums(raw, setup.webinarId, sampleIds);
    await raw.query("DELETE FROM check_ins WHERE webinar_id = $1", [setup.webinarId]);
    await raw.query("DELETE FROM attendance WHERE webinar_id = $1", [setup.webinarId]);

    log("ingest: metrics poll");
    const p0 = performance.now();
    let pollError: string | null = null;
    try {
      await app.services.syncWorker.handlers["metrics.poll"]({ webinarId: setup.webinarId });
    } catch (error) {
      pollError = error instanceof Error ? error.message.slice(0, 200) : String(error);
    }
    const pollSeconds = (performance.now() - p0) / 1000;
    const pollSums = await sums(raw, setup.webinarId);
    const pollSampleSums = await sums(raw, setup.webinarId, sampleIds);
    const same = JSON.stringify(pollSampleSums) === JSON.stringify(baselineSums);
    const pollRate = pollSums.attendance / pollSeconds;
    const baselineRate = sample.length / baselineSeconds;
    const ratio = pollRate / baselineRate;
    return {
      name: "ingest",
      rows: [
        [
          "attendees",
          total,
          `${records.length} records from the simulator, one unpaged attendee list, written in chunks of ${INGEST_CHUNK}`,
        ],
        [
          "metrics poll records/s",
          round(pollRate),
          pollError
            ? `FAILED after ${round(pollSeconds)} s: ${pollError}`
            : `${pollSums.attendance} rows in ${round(pollSeconds)} s`,
        ],
        [
          "row-by-row upsert records/s",
          round(baselineRate),
          `${sample.length} records in ${round(baselineSeconds)} s, pg, autocommit`,
        ],
        ["fetch alone (adapter) s", round(fetchSeconds, 2), "included in the poll's time"],
        [
          "same result",
          same ? "yes" : "no",
          `sampled people: attendance ${baselineSums.attendance}, check-ins ${baselineSums.checkIns}, minutes ${baselineSums.minutes}`,
        ],
        ["ratio poll ÷ row-by-row", round(ratio, 2), "goal ≥ 10"],
      ],
      json: {
        attendees: total,
        records: records.length,
        sample: sample.length,
        pollSeconds: round(pollSeconds, 2),
        pollPerSecond: round(pollRate),
        pollError,
        baselineSeconds: round(baselineSeconds, 2),
        baselinePerSecond: round(baselineRate),
        fetchSeconds: round(fetchSeconds, 2),
        sameResult: same,
        ratio: round(ratio, 2),
        goal: 10,
        met: ratio >= 10 && same,
      },
    };
  } finally {
    await raw.end().catch(() => {});
    await app?.close().catch(() => {});
    await bench.drop();
    await sim.close();
  }
}

type Sim = Awaited<ReturnType<typeof startSimulator>>;

/** N registrants at the simulator's event, as if each had been registered through its API. */
function seedSimulator(sim: Sim, eventId: number, total: number) {
  const { state } = sim;
  const now = state.now();
  let first = 0;
  for (let i = 0; i < total; i++) {
    const eventuserid = state.nextId("eventuser");
    if (i === 0) first = eventuserid;
    const email = `ingest${i}@example.com`;
    state.registrants.set(eventuserid, {
      eventuserid,
      eventId,
      clientId: Number(ON24_ACCOUNT.clientId),
      fields: { email, firstname: `A${i}`, lastname: "Ingest" },
      createdAt: now,
      lastActivity: now,
      status: "active",
      blocked: false,
      walkIn: false,
      createCount: 1,
      originalEmail: email,
    });
  }
  return first;
}

/** The same N as our contacts and registrations, synced with the simulator's ids (ids are consecutive). */
async function seedOurSide(
  raw: pg.Client,
  s: {
    organizationId: string;
    eventId: string;
    webinarId: string;
    configId: string;
    total: number;
    firstUserId: number;
  },
) {
  await raw.query(
    `INSERT INTO contacts (id, organization_id, first_name, last_name, email, email_normalized, company)
     SELECT gen_random_uuid(), $1, 'A' || i, 'Ingest', 'ingest' || i || '@example.com', 'ingest' || i || '@example.com', 'Acme'
     FROM generate_series(0, $2 - 1) AS i`,
    [s.organizationId, s.total],
  );
  await raw.query(
    `INSERT INTO registrations (id, organization_id, event_id, contact_id, status, source)
     SELECT gen_random_uuid(), $1, $2, c.id, 'registered', 'api' FROM contacts c
     WHERE c.organization_id = $1 AND c.email LIKE 'ingest%'`,
    [s.organizationId, s.eventId],
  );
  await raw.query(
    `INSERT INTO registration_syncs (registration_id, webinar_id, organization_id, configuration_id, state, provider_registrant_id, synced_at)
     SELECT r.id, $2, $1, $3, 'synced', ($4::bigint + substring(c.email from 'ingest(\\d+)@')::bigint)::text, now()
     FROM registrations r JOIN contacts c ON c.id = r.contact_id WHERE r.event_id = $5`,
    [s.organizationId, s.webinarId, s.configId, s.firstUserId, s.eventId],
  );
  await raw.query(
    `INSERT INTO registration_sessions (registration_id, session_id, organization_id)
     SELECT r.id, w.session_id, r.organization_id FROM registrations r JOIN webinars w ON w.event_id = r.event_id
     WHERE w.id = $1 AND w.session_id IS NOT NULL ON CONFLICT DO NOTHING`,
    [s.webinarId],
  );
  await raw.query("ANALYZE");
}

/** What a plain script does: per record, find our registration, upsert attendance and the check-in. */
async function rowByRow(raw: pg.Client, webinarId: string, records: AttendanceRecord[]) {
  const w = await raw.query("SELECT organization_id, event_id, session_id FROM webinars WHERE id = $1", [
    webinarId,
  ]);
  const { organization_id: org, event_id: eventId, session_id: sessionId } = w.rows[0];
  for (const r of records) {
    const found = await raw.query(
      "SELECT registration_id FROM registration_syncs WHERE webinar_id = $1 AND provider_registrant_id = $2",
      [webinarId, r.providerRegistrantId],
    );
    const registrationId = found.rows[0]?.registration_id;
    if (!registrationId) continue;
    await raw.query(
      `INSERT INTO attendance (registration_id, webinar_id, organization_id, live_minutes, on_demand_minutes,
         engagement_score, questions_asked, polls_answered, resources_downloaded, first_activity_at, last_activity_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
       ON CONFLICT (registration_id, webinar_id) DO UPDATE SET live_minutes = excluded.live_minutes,
         on_demand_minutes = excluded.on_demand_minutes, engagement_score = excluded.engagement_score,
         questions_asked = excluded.questions_asked, polls_answered = excluded.polls_answered,
         resources_downloaded = excluded.resources_downloaded, first_activity_at = excluded.first_activity_at,
         last_activity_at = excluded.last_activity_at, updated_at = now()`,
      [
        registrationId,
        webinarId,
        org,
        r.liveMinutes,
        r.onDemandMinutes,
        r.engagementScore,
        r.questionsAsked,
        r.pollsAnswered,
        r.resourcesDownloaded,
        r.firstActivityAt,
        r.lastActivityAt,
      ],
    );
    const minutes = r.liveMinutes + r.onDemandMinutes;
    if (minutes > 0)
      await raw.query(
        `INSERT INTO check_ins (id, organization_id, event_id, session_id, registration_id, kind, webinar_id, viewing_minutes, checked_in_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, 'webinar', $5, $6, coalesce($7, now()))
         ON CONFLICT (registration_id, webinar_id) WHERE webinar_id IS NOT NULL
         DO UPDATE SET viewing_minutes = excluded.viewing_minutes`,
        [org, eventId, sessionId, registrationId, webinarId, minutes, r.firstActivityAt],
      );
  }
}

/** Rows and minutes stored for the webinar, or only for the given provider ids. */
async function sums(raw: pg.Client, webinarId: string, providerIds?: (string | null)[]) {
  const only = `registration_id IN (SELECT registration_id FROM registration_syncs
    WHERE webinar_id = $1 AND ($2::text[] IS NULL OR provider_registrant_id = ANY($2)))`;
  const params = [webinarId, providerIds ?? null];
  const a = await raw.query(
    `SELECT count(*)::int AS n, coalesce(sum(live_minutes + on_demand_minutes), 0)::int AS m FROM attendance WHERE webinar_id = $1 AND ${only}`,
    params,
  );
  const c = await raw.query(
    `SELECT count(*)::int AS n FROM check_ins WHERE webinar_id = $1 AND ${only}`,
    params,
  );
  return {
    attendance: a.rows[0].n as number,
    checkIns: c.rows[0].n as number,
    minutes: a.rows[0].m as number,
  };
}
