import { useI18n } from '../i18n/i18n';
import { Placeholder } from '../ui/Placeholder';

/** Placeholder: to be replaced by the Admin screens. */
export function SessionsPage() {
  const { t } = useI18n();
  return <Placeholder title={t('nav.sessions')} testId="page-sessions" />;
}
