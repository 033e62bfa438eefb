import { useEffect, useRef } from "react";
import { useI18n } from "../i18n/index.tsx";

/**
 * A modal confirmation built on <dialog>: the browser traps focus, Escape cancels, and focus
 * returns to the button that opened it.
 */
export function ConfirmDialog({
  open,
  text,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  open: boolean;
  text: string;
  confirmLabel: string;
  onConfirm(): void;
  onClose(): void;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="confirm-text">
      <p id="confirm-text">{text}</p>
      <div className="row">
        <button type="button" className="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onClose}>
          {t("common.cancel")}
        </button>
      </div>
    </dialog>
  );
}
