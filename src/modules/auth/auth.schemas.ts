import { z } from 'zod';

import { CompanyDto, Email, Password, PersonName, UserDto } from '../companies/companies.schemas.js';

export const RegisterBody = z
  .strictObject({
    companyName: z.string().trim().min(1).max(200),
    name: PersonName,
    email: Email,
    password: Password,
  })
  .meta({ id: 'RegisterRequest' });

export const LoginBody = z
  .strictObject({
    email: Email,
    // Any length up to the cap: a short password is simply wrong, not a validation error.
    password: z.string().min(1).max(256),
  })
  .meta({ id: 'LoginRequest' });

export const AuthResult = z
  .object({ token: z.string(), user: UserDto, company: CompanyDto.nullable() })
  .meta({ id: 'AuthResult' });

export const MeResult = z.object({ user: UserDto, company: CompanyDto }).meta({ id: 'Me' });
