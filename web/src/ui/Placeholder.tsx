import { useI18n } from '../i18n/i18n';

/** A screen that is not built yet: its title and a note. Replace the page component, not this. */
export function Placeholder({ title, testId }: { title: string; testId: string }) {
  const { t } = useI18n();
  return (
    <section className="page" data-testid={testId}>
      <header className="page-header">
        <h1>{title}</h1>
      </header>
      <p className="empty">{t('common.comingSoon')}</p>
    </section>
  );
}
