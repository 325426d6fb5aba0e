import { adminRu } from './admin.ru';
import type { en } from './en';
import { inboxRu } from './inbox.ru';

/** Russian strings: typed against en.ts, so a missing or unknown key is a type error. */
export const ru: Record<keyof typeof en, string> = {
  ...adminRu,
  ...inboxRu,

  'app.title': 'Консоль WhatsApp',

  'common.loading': 'Загрузка…',
  'common.retry': 'Повторить',
  'common.save': 'Сохранить',
  'common.cancel': 'Отмена',
  'common.close': 'Закрыть',
  'common.delete': 'Удалить',
  'common.comingSoon': 'Этот экран ещё в работе.',

  'language.label': 'Язык',

  'auth.signIn.title': 'Вход',
  'auth.signIn.submit': 'Войти',
  'auth.signIn.noAccount': 'Впервые здесь?',
  'auth.signIn.toRegister': 'Зарегистрировать компанию',
  'auth.register.title': 'Регистрация компании',
  'auth.register.submit': 'Зарегистрироваться',
  'auth.register.haveAccount': 'Уже зарегистрированы?',
  'auth.register.toSignIn': 'Войти',
  'auth.field.companyName': 'Название компании',
  'auth.field.name': 'Ваше имя',
  'auth.field.email': 'Эл. почта',
  'auth.field.password': 'Пароль',
  'auth.field.passwordHint': 'Не меньше 8 символов',

  'shell.signOut': 'Выйти',
  'shell.menu': 'Меню',
  'shell.role.admin': 'Администратор',
  'shell.role.manager': 'Менеджер',
  'shell.connection.connected': 'На связи',
  'shell.connection.connecting': 'Подключение…',
  'shell.connection.disconnected': 'Нет связи',

  'nav.sessions': 'Сессии',
  'nav.managers': 'Менеджеры',
  'nav.stats': 'Статистика',
  'nav.audit': 'Журнал аудита',
  'nav.inbox': 'Входящие',

  'notFound.title': 'Страница не найдена',
  'notFound.home': 'На главную',

  'error.NETWORK_ERROR': 'Сервис недоступен. Проверьте соединение и попробуйте снова.',
  'error.INVALID_CREDENTIALS': 'Неверная почта или пароль.',
  'error.EMAIL_TAKEN': 'Эта почта уже зарегистрирована.',
  'error.RATE_LIMITED': 'Слишком много попыток. Подождите минуту и попробуйте снова.',
  'error.ACCOUNT_DEACTIVATED': 'Эта учётная запись отключена.',
  'error.VALIDATION_ERROR': 'Исправьте отмеченные поля.',
  'error.INTERNAL_ERROR': 'На сервере что-то пошло не так.',
  'error.unknown': 'Что-то пошло не так.',
};
