import { z } from "zod";
import { email, line, optionalLine, paginationQuery } from "../../http/schemas.ts";

export const personInput = z.strictObject({
  firstName: line(100),
  lastName: line(100),
  email,
  company: optionalLine(200),
  jobTitle: optionalLine(200),
});

export const updateContactBody = personInput.partial().strict();

export const listContactsQuery = z.strictObject({ ...paginationQuery, q: optionalLine(200) });

export const contactResponse = z.object({
  id: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string(),
  company: z.string().nullable(),
  jobTitle: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type PersonInput = z.infer<typeof personInput>;
export type UpdateContactInput = z.infer<typeof updateContactBody>;
