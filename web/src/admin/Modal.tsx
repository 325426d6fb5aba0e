import { type ReactNode, useEffect, useId, useRef } from 'react';

import { useI18n } from '../i18n/i18n';
import { ErrorBanner } from '../ui/ErrorBanner';
import { useFormSubmit } from '../ui/form';

/**
 * A modal dialog (the native `<dialog>`: focus stays inside, Esc closes). Rendered means open; the
 * parent unmounts it in `onClose`, which Esc and the backdrop-less close paths call too.
 */
export function Modal({
  title,
  onClose,
  children,
  testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  testId: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    // No cleanup: the element leaves the page (and the top layer) when the parent unmounts it.
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
  }, []);

  return (
    <dialog
      ref={ref}
      className="admin-dialog"
      aria-labelledby={titleId}
      data-testid={testId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId} className="admin-dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

/** "Are you sure?" with the action's own button; shows the API error and stays open on failure. */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const confirm = useFormSubmit(
    async () => {
      await onConfirm();
      onClose();
    },
    { leavesOnSuccess: true },
  );

  return (
    <Modal title={title} onClose={onClose} testId="confirm-dialog">
      <div className="admin-dialog-body">{message}</div>
      {confirm.error ? <ErrorBanner error={confirm.error} /> : null}
      <div className="admin-dialog-actions">
        <button type="button" className="btn" onClick={onClose} data-testid="confirm-cancel">
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className="btn admin-btn-danger"
          disabled={confirm.pending}
          onClick={() => void confirm.run()}
          data-testid="confirm-ok"
        >
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
