import { useI18n } from '../i18n/i18n';
import { Placeholder } from '../ui/Placeholder';

/**
 * Placeholder: to be replaced by the Inbox screens. Routed at `/inbox/:sessionId?/:chatId?`; the
 * params arrive as props (undefined when absent).
 */
export function InboxPage(_props: { sessionId?: string | undefined; chatId?: string | undefined }) {
  const { t } = useI18n();
  return <Placeholder title={t('nav.inbox')} testId="page-inbox" />;
}
