/**
 * English strings, the reference dictionary: its keys are the `MessageKey` type, so every other
 * language must translate exactly these (ru.ts is typed against them). Keys are grouped by screen
 * (`auth.*`, `shell.*`, `nav.*`, `sessions.*`, `inbox.*`, …). `{name}` is a parameter; keys ending
 * in `_one`/`_few`/`_many`/`_other` are plural forms used by `tn()`.
 */
import { adminEn } from './admin.en';
import { inboxEn } from './inbox.en';

export const en = {
  ...adminEn,
  ...inboxEn,

  'app.title': 'WhatsApp console',

  'common.loading': 'Loading…',
  'common.retry': 'Try again',
  'common.save': 'Save',
  'common.cancel': 'Cancel',
  'common.close': 'Close',
  'common.delete': 'Delete',
  'common.comingSoon': 'This screen is being built.',

  'language.label': 'Language',

  'auth.signIn.title': 'Sign in',
  'auth.signIn.submit': 'Sign in',
  'auth.signIn.noAccount': 'New here?',
  'auth.signIn.toRegister': 'Register a company',
  'auth.register.title': 'Register a company',
  'auth.register.submit': 'Register',
  'auth.register.haveAccount': 'Already registered?',
  'auth.register.toSignIn': 'Sign in',
  'auth.field.companyName': 'Company name',
  'auth.field.name': 'Your name',
  'auth.field.email': 'Email',
  'auth.field.password': 'Password',
  'auth.field.passwordHint': 'At least 8 characters',

  'shell.signOut': 'Sign out',
  'shell.menu': 'Menu',
  'shell.role.admin': 'Admin',
  'shell.role.manager': 'Manager',
  'shell.connection.connected': 'Live',
  'shell.connection.connecting': 'Connecting…',
  'shell.connection.disconnected': 'Offline',

  'nav.sessions': 'Sessions',
  'nav.managers': 'Managers',
  'nav.stats': 'Statistics',
  'nav.audit': 'Audit log',
  'nav.inbox': 'Inbox',

  'notFound.title': 'Page not found',
  'notFound.home': 'Go to the start page',

  'error.NETWORK_ERROR': 'The service cannot be reached. Check the connection and try again.',
  'error.INVALID_CREDENTIALS': 'Wrong email or password.',
  'error.EMAIL_TAKEN': 'This email is already registered.',
  'error.RATE_LIMITED': 'Too many attempts. Wait a minute and try again.',
  'error.ACCOUNT_DEACTIVATED': 'This account has been deactivated.',
  'error.VALIDATION_ERROR': 'Some fields need fixing.',
  'error.INTERNAL_ERROR': 'Something went wrong on the server.',
  'error.unknown': 'Something went wrong.',
} satisfies Record<string, string>;
