/**
 * Facts one module tells the others, after the transaction that made them true has committed.
 * Internal names are `noun.past_tense`; the contract's `whatsapp:*` names live only in realtime.
 * Every payload carries `companyId` so subscribers can scope without a lookup.
 */
export interface DomainEvents {
  /** A user was deactivated: their tokens and sockets must stop working at once. */
  'user.deactivated': { companyId: string; userId: string };
  /** A user's profile or status changed (name, email, active). */
  'user.changed': { companyId: string; userId: string };
}
