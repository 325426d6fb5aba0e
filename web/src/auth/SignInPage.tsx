import { useState } from 'react';

import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { useFormSubmit } from '../ui/form';
import { signIn } from './auth';
import { AuthLayout } from './AuthLayout';

export function SignInPage() {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Signed in, the app leaves this page (App.tsx: back to `?next=` or the role's home).
  const form = useFormSubmit(() => signIn(email, password), { leavesOnSuccess: true });
  const { error, fields } = form;

  return (
    <AuthLayout title={t('auth.signIn.title')}>
      <form className="form" data-testid="sign-in-form" onSubmit={form.onSubmit} noValidate>
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
        <button
          type="submit"
          className="btn btn-primary"
          disabled={form.pending}
          data-testid="sign-in-submit"
        >
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
