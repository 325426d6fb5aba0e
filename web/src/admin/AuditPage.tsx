import { useI18n } from '../i18n/i18n';
import { Placeholder } from '../ui/Placeholder';

/** Placeholder: to be replaced by the Admin screens. */
export function AuditPage() {
  const { t } = useI18n();
  return <Placeholder title={t('nav.audit')} testId="page-audit" />;
}
