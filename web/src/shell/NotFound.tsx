import { useSignedIn } from '../auth/auth';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { homePath } from '../routes';

export function NotFound() {
  const { t } = useI18n();
  const { user } = useSignedIn();
  return (
    <section className="page" data-testid="page-not-found">
      <h1>{t('notFound.title')}</h1>
      <p>
        <Link to={homePath(user.role)}>{t('notFound.home')}</Link>
      </p>
    </section>
  );
}
