/**
 * A manager's rights on a session, as the API reports and takes them (`Rights` in the generated
 * schema), and the rules about them that the admin screens and the inbox share.
 */
import type { Role, Schemas, Session } from '../api/client';
import type { MessageKey } from '../i18n/i18n';

export type Rights = Schemas['Rights'];
export type Right = keyof Rights;

/** Every right, in the order the console shows them. */
export const RIGHTS: readonly Right[] = ['canRead', 'canWrite', 'canManageChats'];
export const NO_RIGHTS: Rights = { canRead: false, canWrite: false, canManageChats: false };
const ALL_RIGHTS: Rights = { canRead: true, canWrite: true, canManageChats: true };

/** A right's name, in the console's language. */
export const RIGHT_LABEL: Readonly<Record<Right, MessageKey>> = {
  canRead: 'access.right.canRead',
  canWrite: 'access.right.canWrite',
  canManageChats: 'access.right.canManageChats',
};

/** What a right lets a manager do. */
export const RIGHT_HINT: Readonly<Record<Right, MessageKey>> = {
  canRead: 'access.hint.canRead',
  canWrite: 'access.hint.canWrite',
  canManageChats: 'access.hint.canManageChats',
};

/**
 * The rights after ticking or clearing one box. Writing and managing chats need reading (the
 * service refuses them alone), so ticking either ticks Read, and clearing Read clears them all.
 */
export function withRight(current: Rights, right: Right, checked: boolean): Rights {
  if (right === 'canRead') {
    return checked ? { ...current, canRead: true } : { ...NO_RIGHTS };
  }
  return checked ? { ...current, [right]: true, canRead: true } : { ...current, [right]: false };
}

export function hasAnyRight(rights: Rights): boolean {
  return rights.canRead || rights.canWrite || rights.canManageChats;
}

/**
 * The caller's rights on a session. The API returns them with every session (`rights`), and the
 * list is read again after any 403, so they stay current. Were they ever missing, admins have all,
 * and a manager is assumed to have them until a 403 says otherwise (`denied`, from refused requests).
 */
export function rightsOn(session: Session, role: Role, denied: Partial<Rights> = {}): Rights {
  if (role === 'admin') {
    return ALL_RIGHTS;
  }
  if (session.rights) {
    return session.rights;
  }
  return {
    canRead: denied.canRead !== false,
    canWrite: denied.canWrite !== false,
    canManageChats: denied.canManageChats !== false,
  };
}
