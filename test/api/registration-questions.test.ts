import assert from "node:assert/strict";
import { before, test } from "node:test";
import { parse } from "csv-parse/sync";
import { draftEvent, registerViaApi } from "../helpers/events.ts";
import { forEachBackend, type TestOrg } from "../helpers/harness.ts";

/** Custom registration questions (docs/registration-questions.md): definitions, answers, export. */

const event = {
  title: "Questions conf",
  startsAt: "2030-06-01T09:00",
  endsAt: "2030-06-01T17:00",
  timeZone: "Europe/Oslo",
  format: "onsite",
  language: "nb",
};

const questions = [
  {
    id: "diet",
    type: "single_choice",
    label: "Kosthold",
    required: true,
    options: [
      { id: "veg", label: "Vegetar" },
      { id: "none", label: "Ingen" },
    ],
  },
  {
    id: "topics",
    type: "multiple_choice",
    label: "Tema",
    options: [
      { id: "ai", label: "KI" },
      { id: "web", label: "Web" },
      { id: "db", label: "Databaser" },
    ],
  },
  { id: "why", type: "text", label: "Hvorfor kommer du?", maxLength: 20 },
  { id: "terms", type: "checkbox", label: "Jeg godtar vilkårene", required: true },
];

const person = (i: number | string) => ({
  firstName: `First${i}`,
  lastName: `Last${i}`,
  email: `q${i}@example.com`,
});

forEachBackend("registration questions", (ctx) => {
  let org: TestOrg;
  const createEvent = async (extra: Record<string, unknown> = {}) =>
    ctx.request("POST", "/api/v1/events", { token: org.tokens.marketer, body: { ...event, ...extra } });
  const eventWithQuestions = () => draftEvent(ctx, org, { ...event, registrationQuestions: questions });
  const register = (eventId: string, body: unknown) => registerViaApi(ctx, org, eventId, body);
  const countRegistrations = async (eventId: string) =>
    (
      await ctx.database.db
        .selectFrom("registrations")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("event_id", "=", eventId)
        .executeTakeFirstOrThrow()
    ).n;

  before(async () => {
    org = await ctx.createOrg();
  });

  test("questions are stored in order with their ids; new ones get an id; PATCH replaces the list and keeps given ids", async () => {
    const created = await createEvent({
      registrationQuestions: [
        { type: "text", label: "Allergier" },
        {
          id: "size",
          type: "single_choice",
          label: "T-skjorte",
          options: [{ label: "S" }, { id: "m", label: "M" }],
        },
      ],
    });
    assert.equal(created.status, 201, created.text);
    const [first, second] = created.body.registrationQuestions;
    assert.match(first.id, /^q[0-9a-f]{8}$/);
    assert.deepEqual(
      { ...first, id: "x" },
      {
        id: "x",
        type: "text",
        label: "Allergier",
        required: false,
        options: [],
        maxLength: 500,
        on24Field: null,
      },
    );
    assert.equal(second.id, "size");
    assert.match(second.options[0].id, /^o[0-9a-f]{8}$/);
    assert.equal(second.options[1].id, "m");

    const patched = await ctx.request("PATCH", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
      body: { registrationQuestions: [second, { ...first, label: "Matallergier", required: true }] },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(
      patched.body.registrationQuestions.map((q: { id: string; label: string }) => [q.id, q.label]),
      [
        ["size", "T-skjorte"],
        [first.id, "Matallergier"],
      ],
    );
    const read = await ctx.request("GET", `/api/v1/events/${created.body.id}`, { token: org.tokens.viewer });
    assert.deepEqual(read.body.registrationQuestions, patched.body.registrationQuestions);
    // A PATCH without the field leaves the questions alone.
    const other = await ctx.request("PATCH", `/api/v1/events/${created.body.id}`, {
      token: org.tokens.marketer,
      body: { title: "Renamed" },
    });
    assert.deepEqual(other.body.registrationQuestions, patched.body.registrationQuestions);
  });

  test("a bad definition is a 422 naming its place; nothing is created or changed", async () => {
    const cases: [unknown[], string][] = [
      [[{ type: "single_choice", label: "Pick" }], "registrationQuestions.0.options"],
      [[{ type: "text", label: "T", options: [{ label: "a" }] }], "registrationQuestions.0.options"],
      [[{ type: "checkbox", label: "C", maxLength: 5 }], "registrationQuestions.0.maxLength"],
      [[{ type: "dropdown", label: "D" }], "registrationQuestions.0.type"],
      [[{ type: "text", label: "" }], "registrationQuestions.0.label"],
      [[{ type: "text", label: "A", colour: "red" }], "registrationQuestions.0.colour"],
      [
        [
          { id: "a", type: "text", label: "A" },
          { id: "a", type: "text", label: "B" },
        ],
        "registrationQuestions.1.id",
      ],
      [
        [
          { type: "text", label: "Same" },
          { type: "text", label: "same" },
        ],
        "registrationQuestions.1.label",
      ],
      [
        [
          {
            type: "multiple_choice",
            label: "M",
            options: [
              { id: "x", label: "1" },
              { id: "x", label: "2" },
            ],
          },
        ],
        "registrationQuestions.0.options.1.id",
      ],
      [[{ type: "text", label: "O", on24Field: "std11" }], "registrationQuestions.0.on24Field"],
      [["not a question"], "registrationQuestions.0"],
    ];
    const before = await ctx.database.db.selectFrom("events").select("id").execute();
    for (const [registrationQuestions, field] of cases) {
      const res = await createEvent({ registrationQuestions });
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(res.body.error.field, field, res.text);
    }
    // Not a list at all is the body's shape, refused like any other field (400).
    const notList = await createEvent({ registrationQuestions: "text" });
    assert.equal(notList.status, 400);
    assert.equal(notList.body.error.field, "registrationQuestions");
    assert.equal((await ctx.database.db.selectFrom("events").select("id").execute()).length, before.length);

    const created = await eventWithQuestions();
    const res = await ctx.request("PATCH", `/api/v1/events/${created.id}`, {
      token: org.tokens.marketer,
      body: { title: "Changed", registrationQuestions: [{ type: "single_choice", label: "X", options: [] }] },
    });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.field, "registrationQuestions.0.options");
    const read = await ctx.request("GET", `/api/v1/events/${created.id}`, { token: org.tokens.viewer });
    assert.equal(read.body.title, "Questions conf");
    assert.equal(read.body.registrationQuestions.length, 4);
  });

  test("API registration: answers are stored and read back; bad answers are 422 naming the question, nothing stored", async () => {
    const { id } = await eventWithQuestions();
    const good = { diet: "veg", topics: ["db", "ai", "ai"], why: "  Lære mer  ", terms: true };
    const bad: [Record<string, unknown>, string, string][] = [
      [{ topics: ["ai"], terms: true }, "answers.diet", "answer_required"],
      [{ ...good, terms: false }, "answers.terms", "answer_required"],
      [{ ...good, diet: "meat" }, "answers.diet", "unknown_option"],
      [{ ...good, topics: ["ai", "ml"] }, "answers.topics", "unknown_option"],
      [{ ...good, topics: "ai" }, "answers.topics", "wrong_answer_type"],
      [{ ...good, diet: ["veg"] }, "answers.diet", "wrong_answer_type"],
      [{ ...good, terms: "yes" }, "answers.terms", "wrong_answer_type"],
      [{ ...good, why: 42 }, "answers.why", "wrong_answer_type"],
      [{ ...good, why: "x".repeat(21) }, "answers.why", "answer_too_long"],
      [{ ...good, shoe: "42" }, "answers.shoe", "unknown_question"],
    ];
    for (const [answers, field, code] of bad) {
      const res = await register(id, { contact: person("bad"), answers });
      assert.equal(res.status, 422, `${field}: ${res.text}`);
      assert.equal(res.body.error.field, field, res.text);
      assert.equal(res.body.error.code, code, res.text);
    }
    assert.equal(Number(await countRegistrations(id)), 0);
    const contacts = await ctx.database.db
      .selectFrom("contacts")
      .select("id")
      .where("email", "=", "qbad@example.com")
      .execute();
    assert.equal(contacts.length, 0, "a refused registration creates no contact");

    const res = await register(id, { contact: person(1), answers: good });
    assert.equal(res.status, 201, res.text);
    const stored = { diet: "veg", topics: ["ai", "db"], why: "Lære mer", terms: true };
    assert.deepEqual(res.body.answers, stored);
    const read = await ctx.request("GET", `/api/v1/registrations/${res.body.id}`, {
      token: org.tokens.viewer,
    });
    assert.deepEqual(read.body.answers, stored);
    const list = await ctx.request("GET", `/api/v1/events/${id}/registrations`, { token: org.tokens.viewer });
    assert.deepEqual(list.body.data[0].answers, stored);
    // The person's data export gives the answers in the words they saw.
    const exported = await ctx.request("GET", `/api/v1/contacts/${res.body.contact.id}/export`, {
      token: org.tokens.admin,
    });
    assert.equal(exported.status, 200, exported.text);
    assert.deepEqual(exported.body.registrations[0].answers, [
      { question: "Kosthold", answer: "Vegetar" },
      { question: "Tema", answer: "KI; Databaser" },
      { question: "Hvorfor kommer du?", answer: "Lære mer" },
      { question: "Jeg godtar vilkårene", answer: "yes" },
    ]);

    // An event without questions takes no answers.
    const plain = await createEvent();
    const refused = await register(plain.body.id, { contact: person(2), answers: { diet: "veg" } });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.field, "answers.diet");
    const none = await register(plain.body.id, { contact: person(2) });
    assert.equal(none.status, 201);
    assert.deepEqual(none.body.answers, {});
  });

  test("public endpoint: questions shown, answers taken, 422 naming the question", async () => {
    const created = await eventWithQuestions();
    await ctx.request("POST", `/api/v1/events/${created.id}/publish`, { token: org.tokens.marketer });
    const page = await ctx.request("GET", `/api/v1/public/events/${created.slug}`);
    assert.equal(page.status, 200);
    assert.deepEqual(
      page.body.questions.map((q: { id: string; type: string }) => [q.id, q.type]),
      questions.map((q) => [q.id, q.type]),
    );
    assert.equal(page.body.questions[0].on24Field, undefined, "the provider mapping is not public");

    const submit = (body: unknown) =>
      ctx.request("POST", `/api/v1/public/events/${created.slug}/registrations`, { body });
    const missing = await submit({ ...person("p0"), answers: { terms: true } });
    assert.equal(missing.status, 422, missing.text);
    assert.equal(missing.body.error.field, "answers.diet");
    assert.match(missing.body.error.message, /Kosthold/);
    const wrong = await submit({ ...person("p0"), answers: { diet: "veg", terms: true, topics: ["nope"] } });
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.field, "answers.topics");
    assert.equal(Number(await countRegistrations(created.id)), 0);

    const ok = await submit({ ...person("p1"), answers: { diet: "none", terms: true, why: "Nettverk" } });
    assert.equal(ok.status, 202, ok.text);
    const row = await ctx.database.db
      .selectFrom("registrations")
      .select(["answers", "source"])
      .where("event_id", "=", created.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.source, "public");
    assert.deepEqual(row.answers, { diet: "none", terms: true, why: "Nettverk" });
  });

  test("CSV export: one column per question after the fixed ones, labelled, answers readable; it re-imports", async () => {
    const { id } = await eventWithQuestions();
    await register(id, {
      contact: person(10),
      answers: { diet: "veg", topics: ["ai", "web"], why: "=cmd()", terms: true },
    });
    await register(id, { contact: person(11), answers: { diet: "none", terms: true } });
    const res = await ctx.request("GET", `/api/v1/events/${id}/registrations.csv`, {
      token: org.tokens.viewer,
    });
    assert.equal(res.status, 200);
    const [header] = parse(res.text) as string[][];
    assert.deepEqual(header?.slice(-4), ["Kosthold", "Tema", "Hvorfor kommer du?", "Jeg godtar vilkårene"]);
    assert.equal(header?.[0], "id", "the fixed columns come first");
    const records = parse(res.text, { columns: true }) as Record<string, string>[];
    const ten = records.find((r) => r.email === "q10@example.com");
    assert.equal(ten?.Kosthold, "Vegetar");
    assert.equal(ten?.Tema, "KI; Web");
    assert.equal(ten?.["Hvorfor kommer du?"], "'=cmd()", "formula guard applies to answers");
    assert.equal(ten?.["Jeg godtar vilkårene"], "yes");
    const eleven = records.find((r) => r.email === "q11@example.com");
    assert.equal(eleven?.Tema, "");

    // The export goes back in as an import of another event with the same questions.
    const target = await eventWithQuestions();
    const imported = await ctx.request("POST", `/api/v1/events/${target.id}/imports?fileName=x.csv`, {
      token: org.tokens.marketer,
      raw: res.text,
      headers: { "content-type": "text/csv" },
    });
    assert.equal(imported.status, 202, imported.text);
    await ctx.services.imports.whenIdle();
    const job = await ctx.request("GET", `/api/v1/imports/${imported.body.id}`, { token: org.tokens.viewer });
    assert.equal(job.body.succeededRows, 2, JSON.stringify(job.body));
  });
});
