// ON24's error strings, copied verbatim from the 4xx descriptions in openapi.json / errors.yml
// (typos included: "registant", "inBlocked"). Different operations use two "dialects" of the
// same errors; each route declares which one its documentation uses.

export const MSG = {
  missingHeaders: "Header must contain both accessTokenKey and accessTokenSecret.",
  deactivated: "AccessTokenKey and AccessTokenSecret are deactivated.",
  clientInactive: (clientId: string) => `The client id ${clientId} is inactive.`,
  clientNotFound: (clientId: string) => `The client ${clientId} doesn't exist.`,
  eventNotFound: (eventId: string) => `The event ${eventId} doesn't exist.`,
  eventInactive: (eventId: string) => `The event ${eventId} is inactive.`,
  eventIdInactive: (eventId: string) => `The event id ${eventId} is inactive.`,
  eventNotFoundForClient: "Event not found for this client or its children",
  regfieldEventNotFound: "The event id is not found under this client account",
  eventDeleted: "Event Successfully Deleted.",
  eventAlreadyDeleted: "Event has already been deleted",
  eventNotDeletable: "Event does not meet criteria for deletion",
  createFailed: "Webinar was not created due to errors in the parameters",
  softDeleteWhileCreating: "You're trying to soft delete the registrant you're creating.",
  emailMissing: "The email parameter is missing.",
  emailBlank: "The email parameter value is blank.",
  badHonorRequired: "Invalid value for the honorrequired parameter.",
  badHonorValidation: "Invalid value for the honorvalidation parameter.",
  badIsBlocked: "Invalid value for the inBlocked parameter.",
  emailNotFoundPatch: "The email provided was not found.",
  noRegistrantForEmail: "No registrant was found for that email address",
  noRegistrantForEmailAndEvent: "No registrant was found for that email address and eventId combination",
  emailCollision: "New email address matches other registant's email address",
  badDates: "Error, incorrect date formats.",
  tooManyToForget: "You have exceeded the maximum number of user to be deleted (100,000)",
} as const;

/** Wording that differs between the "api" and "endpoint" documentation dialects. */
export interface Dialect {
  invalidTokens: string;
  noAccess: string;
  quota: string;
}

export const API_DIALECT: Dialect = {
  invalidTokens: "AccessTokenKey and AccessTokenSecret are wrong or invalid.",
  noAccess: "You do not have permission to perform the requested operation.",
  quota: "You have reached the maximum number of calls for this api.",
};

export const ENDPOINT_DIALECT: Dialect = {
  invalidTokens: "The access token secret or access token key was not found",
  noAccess: "You don't have access to this client id",
  quota: "You reached the maximum number of calls for this endpoint",
};

/** Thrown by handlers; rendered as ON24's `{"message": ...}` envelope. */
export class On24Error extends Error {
  /** `detail` is simulator-only help, sent as the X-Sim-Detail header (ON24 gives no reasons). */
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
