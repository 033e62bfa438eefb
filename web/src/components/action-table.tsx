import type { ReactNode } from "react";
import { useI18n } from "../i18n/index.tsx";

export interface ActionColumn<T> {
  header: string;
  cell(row: T): ReactNode;
}

/**
 * The table of the access pages (members, invitations, API tokens, people found for privacy):
 * one row per item, a caption for screen readers, and a last "Actions" column whose buttons
 * and links each name the row they act on (so a list of them read alone still makes sense).
 * A row without an action for the caller's role gets an empty cell, never a disabled button.
 */
export function ActionTable<T extends { id: string }>({
  caption,
  columns,
  rows,
  rowTestId,
  actions,
}: {
  caption: string;
  columns: ActionColumn<T>[];
  rows: T[];
  /** data-testid of each row, for the browser tests. */
  rowTestId: string;
  actions?: (row: T) => ReactNode;
}) {
  const { t } = useI18n();
  return (
    <table>
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.header} scope="col">
              {c.header}
            </th>
          ))}
          {actions && <th scope="col">{t("common.actions")}</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.id} data-testid={rowTestId}>
            {columns.map((c) => (
              <td key={c.header}>{c.cell(row)}</td>
            ))}
            {actions && (
              <td>
                <div className="row">{actions(row)}</div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
