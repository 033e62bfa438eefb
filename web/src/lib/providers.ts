import { api } from "../api/client.ts";
import type { ProviderField, ProviderInfo } from "../api/types.ts";

/** Used while `GET /api/v1/webinar-providers` is absent (older servers): ON24 only. */
const ON24: ProviderInfo = {
  kind: "on24",
  label: "ON24",
  settingsFields: [{ name: "region", label: "Region", options: ["NA", "EU"] }],
  credentialFields: [
    { name: "clientId", label: "Client ID" },
    { name: "accessTokenKey", label: "Access token key" },
    { name: "accessTokenSecret", label: "Access token secret" },
  ],
};

type RawField = string | { name?: string; label?: string; choices?: unknown; default?: unknown };

/** `accessTokenKey` → "Access token key", `clientId` → "Client ID": the vendors' own words. */
export function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .map((w) => (/^(id|url|api)$/i.test(w) ? w.toUpperCase() : w.toLowerCase()));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function field(raw: RawField): ProviderField | null {
  if (typeof raw === "string") return { name: raw, label: humanize(raw) };
  if (!raw.name) return null;
  const choices = Array.isArray(raw.choices) ? raw.choices.map(String) : undefined;
  // The default choice goes first, so an untouched select sends the provider's default.
  const fallback = typeof raw.default === "string" ? raw.default : undefined;
  const options = choices && fallback ? [fallback, ...choices.filter((c) => c !== fallback)] : choices;
  return { name: raw.name, label: raw.label ?? humanize(raw.name), ...(options ? { options } : {}) };
}

/** The provider kinds this server offers, tolerant of field lists given as names or objects. */
export async function loadProviders(): Promise<ProviderInfo[]> {
  try {
    const { data } = await api.providers();
    const list = data.map((p) => ({
      kind: p.kind,
      label: p.label ?? p.kind,
      settingsFields: ((p.settingsFields ?? []) as RawField[])
        .map(field)
        .filter((f): f is ProviderField => !!f),
      webinarTypes: p.webinarTypes ?? [],
      credentialFields: ((p.credentialFields ?? []) as RawField[])
        .map(field)
        .filter((f): f is ProviderField => !!f),
    }));
    return list.length > 0 ? list : [ON24];
  } catch {
    return [ON24];
  }
}

const NAMES: Record<string, string> = {
  on24: "ON24",
  zoom: "Zoom",
  goto: "GoTo Webinar",
  teams: "Microsoft Teams",
  "http-contract": "Open contract",
};

/** A provider kind as people name it; an unknown kind (a newer server) as it is. */
export const providerName = (kind: string): string => NAMES[kind] ?? kind;
