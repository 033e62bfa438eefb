import type { RegistrationStatus } from "../../db/schema.ts";
import { conflict, unprocessable } from "../../lib/errors.ts";

/** The answers a registration gets when it cannot be made: one wording for every path that registers. */
export const eventCancelled = () => conflict("event_cancelled", "The event is cancelled");

export const unknownSession = () =>
  unprocessable("unknown_session", "A session does not belong to this event", "sessionIds");

export const personErased = () =>
  unprocessable(
    "person_erased",
    "This person asked to be erased; they cannot be registered again",
    "contact.email",
  );

export const alreadyRegistered = (status: RegistrationStatus, field: "contactId" | "contact.email") =>
  conflict("already_registered", `This person is already ${status} for the event`, field);
