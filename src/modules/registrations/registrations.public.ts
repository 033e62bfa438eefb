import type { Transaction } from "kysely";
import type { Db } from "../../db/database.ts";
import type { Database } from "../../db/schema.ts";
import type { PersonInput } from "../contacts/contacts.schemas.ts";
import type { Campaign } from "./campaign.ts";
import type { RegistrantNotices } from "./registrant-notices.ts";
import type { RegistrantSettingsService } from "./registrant-settings.service.ts";
import type { Outcome, RegisterInput } from "./registrations.register.ts";

type Trx = Transaction<Database>;

export interface PublicInput {
  sessionIds: string[];
  consentText: string | null;
  answers?: Record<string, unknown> | undefined;
  campaign?: Campaign | undefined;
}

/**
 * The public form. Every address takes this one path and the caller learns nothing of
 * how it ended: a new person is registered, someone already registered is told so at
 * their address, and an erased address is dropped. Secrets go only to the address.
 */
export function createSubmitPublic(deps: {
  db: Db;
  registrantSettings: Pick<RegistrantSettingsService, "effective">;
  notices: Pick<RegistrantNotices, "confirmationRequested" | "registered" | "alreadyRegistered">;
  /** `registerCore` for the public form: an existing contact is matched but never changed. */
  registerPublic: (
    trx: Trx,
    organizationId: string,
    eventId: string,
    input: RegisterInput,
  ) => Promise<Outcome>;
}) {
  const { db, registrantSettings, notices, registerPublic } = deps;

  return async function submitPublic(
    organizationId: string,
    eventId: string,
    person: PersonInput,
    input: PublicInput,
  ) {
    await db.transaction().execute(async (trx) => {
      const settings = await registrantSettings.effective(trx, organizationId, eventId);
      const outcome = await registerPublic(trx, organizationId, eventId, {
        contact: person,
        sessionIds: input.sessionIds,
        source: "public",
        consentText: input.consentText,
        answers: input.answers,
        campaign: input.campaign,
        withCancelToken: true,
        ...(settings.doubleOptIn && { confirmWithinHours: settings.confirmationExpiryHours }),
      });
      if (outcome.kind === "created" && outcome.confirmation)
        await notices.confirmationRequested(trx, {
          registrationId: outcome.registration.id,
          confirmToken: outcome.confirmation.token,
          expiresAt: outcome.confirmation.expiresAt,
        });
      else if (outcome.kind === "created")
        await notices.registered(trx, {
          registrationId: outcome.registration.id,
          pageToken: outcome.cancelToken,
        });
      else if (outcome.kind === "already_registered")
        await notices.alreadyRegistered(trx, { registrationId: outcome.registrationId });
    });
  };
}
