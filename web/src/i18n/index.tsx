import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { en, type MessageKey } from "./en.ts";
import { nb } from "./nb.ts";

export type Locale = "en" | "nb";
export const LOCALES: { id: Locale; label: string }[] = [
  { id: "en", label: "English" },
  { id: "nb", label: "Norsk bokmål" },
];
const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { en, nb };
// BCP 47 tags for Intl: British English gives day-month order and a 24-hour clock.
const INTL_TAG: Record<Locale, string> = { en: "en-GB", nb: "nb-NO" };
const STORAGE_KEY = "auditorium.locale";

type Vars = Record<string, string | number>;

export interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t(key: MessageKey, vars?: Vars): string;
  /** A date and time; in `timeZone` when given, else in the viewer's zone. */
  dateTime(iso: string, timeZone?: string): string;
  date(iso: string, timeZone?: string): string;
  number(n: number): string;
}

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "nb") return saved;
  return /^(nb|no|nn)\b/i.test(navigator.language) ? "nb" : "en";
}

const Context = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLocaleState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo<I18n>(() => {
    const tag = INTL_TAG[locale];
    const dict = DICTIONARIES[locale];
    return {
      locale,
      setLocale,
      t: (key, vars) => {
        const text = dict[key] ?? key;
        return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
      },
      dateTime: (iso, timeZone) =>
        new Intl.DateTimeFormat(tag, {
          dateStyle: "medium",
          timeStyle: "short",
          ...(timeZone ? { timeZone } : {}),
        }).format(new Date(iso)),
      date: (iso, timeZone) =>
        new Intl.DateTimeFormat(tag, { dateStyle: "medium", ...(timeZone ? { timeZone } : {}) }).format(
          new Date(iso),
        ),
      number: (n) => new Intl.NumberFormat(tag).format(n),
    };
  }, [locale, setLocale]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (!value) throw new Error("useI18n outside I18nProvider");
  return value;
}

export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export type { MessageKey };
