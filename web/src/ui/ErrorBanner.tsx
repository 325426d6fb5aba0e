import type { ApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';

/** The text to show for an API error: ours when we have one for its code, else the server's. */
export function useErrorText(): (error: ApiError) => string {
  const { t, has } = useI18n();
  return (error) => {
    const key = `error.${error.code}`;
    if (has(key)) {
      return t(key);
    }
    return error.message || t('error.unknown');
  };
}

/** An error box with an optional retry. */
export function ErrorBanner({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const { t } = useI18n();
  const text = useErrorText();
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <span>{text(error)}</span>
      {onRetry ? (
        <button type="button" className="btn btn-ghost" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}
