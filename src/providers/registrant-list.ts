import type { ListedRegistrant } from "./contract.ts";

/** An empty or blank name field is "not given" (providers send "" for fields left out). */
export const blankToNull = (v: string | null | undefined): string | null =>
  v === undefined || v === null || v.trim() === "" ? null : v.trim();

/** A listed registrant with the optional fields normalised (adapters fill what the provider gives). */
export function listedRegistrant(
  r: Pick<ListedRegistrant, "providerRegistrantId" | "email" | "status"> & {
    firstName?: string | null | undefined;
    lastName?: string | null | undefined;
    company?: string | null | undefined;
    jobTitle?: string | null | undefined;
    joinUrl?: string | null | undefined;
  },
): ListedRegistrant {
  return {
    providerRegistrantId: r.providerRegistrantId,
    email: r.email,
    firstName: blankToNull(r.firstName),
    lastName: blankToNull(r.lastName),
    company: blankToNull(r.company),
    jobTitle: blankToNull(r.jobTitle),
    joinUrl: blankToNull(r.joinUrl),
    status: r.status,
  };
}
