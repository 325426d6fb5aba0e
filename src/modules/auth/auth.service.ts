import type { Db } from '../../db/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { NotFoundError, RateLimitedError, UnauthorizedError } from '../../http/errors.js';
import type { Actor } from '../../shared/actor.js';
import type { PasswordHasher } from '../../shared/passwords.js';
import type { AuditService } from '../audit/audit.service.js';
import { toCompanyDto, toUserDto } from '../companies/presenters.js';
import { emailTakenError } from '../companies/user-errors.js';
import type { UsersRepository } from '../companies/users.repository.js';
import type { LoginThrottle } from './login-throttle.js';
import type { Tokens } from './tokens.js';

export interface RegisterInput {
  companyName: string;
  name: string;
  email: string;
  password: string;
}

export interface LoginInput {
  email: string;
  password: string;
}

/** Where a request came from, for the audit log. */
export interface RequestOrigin {
  ip: string | null;
}

export function createAuthService(deps: {
  db: Db;
  users: UsersRepository;
  audit: AuditService;
  hasher: PasswordHasher;
  tokens: Tokens;
  throttle: LoginThrottle;
}) {
  const invalidCredentials = () =>
    new UnauthorizedError('INVALID_CREDENTIALS', 'Email or password is incorrect');

  return {
    /** Creates a company and its first admin, and signs the admin in. */
    async register(input: RegisterInput, origin: RequestOrigin) {
      if (await deps.users.emailTaken(input.email)) {
        throw emailTakenError(input.email);
      }
      const passwordHash = await deps.hasher.hash(input.password);
      try {
        const { company, user } = await deps.db.transaction(async (tx) => {
          const company = await deps.users.insertCompany({ name: input.companyName }, tx);
          const user = await deps.users.insertUser(
            { companyId: company.id, email: input.email, name: input.name, role: 'admin', passwordHash },
            tx,
          );
          await deps.audit.record(
            { companyId: company.id, userId: user.id, ip: origin.ip },
            'company.registered',
            { type: 'company', id: company.id },
            undefined,
            tx,
          );
          return { company, user };
        });
        return { token: await deps.tokens.sign(user), user: toUserDto(user), company: toCompanyDto(company) };
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw emailTakenError(input.email);
        }
        throw err;
      }
    },

    /**
     * Unknown email, wrong password and a password-less (externally provisioned) user all get the
     * same answer after the same amount of work.
     */
    async login(input: LoginInput, origin: RequestOrigin) {
      // The throttle slows this address for this email (see login-throttle.ts), never the owner elsewhere.
      const address = origin.ip ?? 'unknown';
      const retryAfter = deps.throttle.retryAfter(input.email, address);
      if (retryAfter > 0) {
        throw new RateLimitedError(retryAfter, 'Too many failed logins for this account, try again later');
      }
      const user = await deps.users.findByEmail(input.email);
      const valid = await deps.hasher.verify(input.password, user?.passwordHash ?? null);
      if (!user || !valid) {
        const reached = deps.throttle.fail(input.email, address);
        if (user) {
          for (const scope of ['address', 'account'] as const) {
            if (reached[scope]) {
              await deps.audit.record(
                { companyId: user.companyId, userId: null, ip: origin.ip },
                'login.throttled',
                { type: 'user', id: user.id },
                { failures: 'limit reached', scope },
              );
            }
          }
        }
        throw invalidCredentials();
      }
      if (!user.active) {
        throw new UnauthorizedError('ACCOUNT_DEACTIVATED', 'This account has been deactivated');
      }
      deps.throttle.succeed(input.email, address);
      const company = await deps.users.findCompany(user.companyId);
      return {
        token: await deps.tokens.sign(user),
        user: toUserDto(user),
        company: company ? toCompanyDto(company) : null,
      };
    },

    /** The current user and their company. */
    async me(actor: Actor) {
      const user = await deps.users.findById(actor.companyId, actor.userId);
      const company = await deps.users.findCompany(actor.companyId);
      if (!user || !company) {
        throw new NotFoundError('USER_NOT_FOUND', 'The current user no longer exists');
      }
      return { user: toUserDto(user), company: toCompanyDto(company) };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
