/** The one form an email address is compared and stored in: trimmed, lower-cased. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();
