import { type FormEvent, useState } from 'react';

import type { ApiError } from '../api/client';
import { asApiError } from '../api/client';
import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { signIn } from './auth';
import { AuthLayout } from './AuthLayout';

export function SignInPage() {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      // Signed in, the app leaves this page (App.tsx: back to `?next=` or the role's home).
      await signIn(email, password);
    } catch (err) {
      const apiError = asApiError(err);
      setError(apiError);
      setFields(apiError.fieldErrors());
      setBusy(false);
    }
  };

  return (
    <AuthLayout title={t('auth.signIn.title')}>
      <form className="form" data-testid="sign-in-form" onSubmit={(e) => void submit(e)} noValidate>
        {error ? <ErrorBanner error={error} /> : null}
        <Field
          label={t('auth.field.email')}
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          error={fields.email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <Field
          label={t('auth.field.password')}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          error={fields.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="btn btn-primary" disabled={busy} data-testid="sign-in-submit">
          {t('auth.signIn.submit')}
        </button>
      </form>
      <p className="auth-alt">
        {t('auth.signIn.noAccount')}{' '}
        <Link to="/register" data-testid="to-register">
          {t('auth.signIn.toRegister')}
        </Link>
      </p>
    </AuthLayout>
  );
}
