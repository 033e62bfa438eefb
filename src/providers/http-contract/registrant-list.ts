import type { ProviderAccount, RegistrantListPage } from "../contract.ts";
import { listedRegistrant } from "../registrant-list.ts";
import type { ContractClient } from "./client.ts";
import { contractRegistrationPage } from "./schemas.ts";

/** The contract's largest `limit` (provider-contract.openapi.json, listRegistrations). */
export const CONTRACT_REGISTRATION_PAGE = 200;

/**
 * One page of `GET /webinars/{id}/registrations?cursor&limit` (listRegistrations, operation 5 of
 * docs/provider-contract.md): every registration, registered and cancelled, oldest first.
 */
export async function listContractRegistrants(
  client: ContractClient,
  account: ProviderAccount,
  webinarPath: string,
  cursor: string | null,
): Promise<RegistrantListPage> {
  const page = await client.call(account, {
    op: "list registrations",
    method: "GET",
    path: `${webinarPath}/registrations`,
    query: { limit: String(CONTRACT_REGISTRATION_PAGE), cursor: cursor ?? undefined },
    schema: contractRegistrationPage,
  });
  return {
    registrants: page.data.map((r) =>
      listedRegistrant({
        providerRegistrantId: r.id,
        email: r.email,
        firstName: r.firstName,
        lastName: r.lastName,
        company: r.company,
        jobTitle: r.jobTitle,
        joinUrl: r.joinUrl,
        status: r.status,
      }),
    ),
    nextCursor: page.nextCursor,
  };
}
