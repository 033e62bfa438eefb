import type { ProviderField } from "../api/types.ts";
import { useI18n } from "../i18n/index.tsx";
import { Field } from "./field.tsx";

/**
 * Write-only credential inputs: always empty, never filled from the server (which never
 * returns a secret), and not remembered by the browser's password manager.
 */
export function CredentialInputs({
  fields,
  values,
  onChange,
  errorField,
  errorMessage,
}: {
  fields: ProviderField[];
  values: Record<string, string>;
  onChange(values: Record<string, string>): void;
  errorField?: string | undefined;
  errorMessage?: string | undefined;
}) {
  const { t } = useI18n();
  return (
    <>
      {fields.map((f) => (
        <Field
          key={f.name}
          label={f.label ?? f.name}
          hint={t("config.secretHint")}
          error={errorField === `credentials.${f.name}` ? errorMessage : undefined}
        >
          {(p) => (
            <input
              {...p}
              name={f.name}
              type="password"
              autoComplete="new-password"
              value={values[f.name] ?? ""}
              onChange={(e) => onChange({ ...values, [f.name]: e.target.value })}
            />
          )}
        </Field>
      ))}
    </>
  );
}
