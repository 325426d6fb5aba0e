import { useState } from 'react';

import { useI18n } from '../i18n/i18n';
import { Link } from '../router';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { fieldBinder, useFormSubmit } from '../ui/form';
import { registerCompany } from './auth';
import { AuthLayout } from './AuthLayout';

const EMPTY = { companyName: '', name: '', email: '', password: '' };

export function RegisterPage() {
  const { t } = useI18n();
  const [values, setValues] = useState(EMPTY);
  // Registered, the user is signed in and the app leaves this page.
  const form = useFormSubmit(() => registerCompany(values), { leavesOnSuccess: true });
  const { error } = form;
  const bind = fieldBinder(values, setValues, form.fields);

  return (
    <AuthLayout title={t('auth.register.title')}>
      <form className="form" data-testid="register-form" onSubmit={form.onSubmit} noValidate>
        {error ? <ErrorBanner error={error} /> : null}
        <Field
          label={t('auth.field.companyName')}
          autoComplete="organization"
          required
          {...bind('companyName')}
        />
        <Field label={t('auth.field.name')} autoComplete="name" required {...bind('name')} />
        <Field label={t('auth.field.email')} type="email" autoComplete="email" required {...bind('email')} />
        <Field
          label={t('auth.field.password')}
          type="password"
          autoComplete="new-password"
          hint={t('auth.field.passwordHint')}
          required
          {...bind('password')}
        />
        <button
          type="submit"
          className="btn btn-primary"
          disabled={form.pending}
          data-testid="register-submit"
        >
          {t('auth.register.submit')}
        </button>
      </form>
      <p className="auth-alt">
        {t('auth.register.haveAccount')}{' '}
        <Link to="/sign-in" data-testid="to-sign-in">
          {t('auth.register.toSignIn')}
        </Link>
      </p>
    </AuthLayout>
  );
}
