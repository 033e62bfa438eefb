import { LOCALES, type Locale, useI18n } from "../i18n/index.tsx";

export function LanguageSwitcher() {
  const { t, locale, setLocale } = useI18n();
  return (
    <label className="inline">
      <span>{t("lang.label")}</span>
      <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)} data-testid="language">
        {LOCALES.map((l) => (
          <option key={l.id} value={l.id} lang={l.id}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}
