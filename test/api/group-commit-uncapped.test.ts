// The group commit tests again, with eight batches in flight for an event without a capacity
// (AUDITORIUM_INTAKE_BATCHES_UNCAPPED; the default is four): capacity, the waitlist and
// idempotency must stay exact whatever that number, since the locks and keys keep them, not the
// batcher's limit.
import { testEnv } from "../helpers/harness.ts";

testEnv.AUDITORIUM_INTAKE_BATCHES_UNCAPPED = "8";
await import("./group-commit.test.ts");
