import { defineErrors } from '../../platform/errors/app-error';

export { AccessErrors } from '../../platform/access/access.errors';

export const AuthErrors = defineErrors('auth', {
  invalidCredentials: {
    code: 'invalid_credentials',
    status: 401,
    message: 'Wrong email or password combination.',
    description: 'POST /auth/login with an unknown email or a wrong password (same answer for both).',
  },
  emailVerificationPending: {
    code: 'email_verification_pending',
    status: 403,
    message: 'Email verification is pending.',
    description: 'Login by a user who has not verified the email address.',
  },
  tooManyLoginAttempts: {
    code: 'too_many_login_attempts',
    status: 429,
    message: 'Too many failed login attempts. Please wait before trying again.',
    description:
      '5 failed password checks for the same account within 60 s (LIMIT_LOGIN_FAILURES): logins with its email and PATCH /me current_password checks share the budget, and once it is spent even the right password is refused until the window ends; the body carries `retry_after`. Held by the database: concurrent attempts cannot exceed it.',
  },
  invalidOrExpiredToken: {
    code: 'invalid_or_expired_token',
    status: 422,
    message: 'Invalid or expired verification or reset token.',
    description: 'Email-verification or password-reset token unknown, used, or past its TTL (24 h).',
  },
  currentPasswordIncorrect: {
    code: 'current_password_incorrect',
    status: 422,
    message: 'Current password is incorrect.',
    description:
      'Changing the password with a wrong current_password (counts against the failed-password budget of login).',
  },
  emailTaken: {
    code: 'email_taken',
    status: 409,
    message: 'An account with this email already exists.',
    description: 'Registering with an email that is already registered (case-insensitive).',
  },
  accessTokenNotFound: {
    code: 'access_token_not_found',
    status: 404,
    message: 'Access token not found.',
    description: "Revoking a personal access token that does not exist or is not the caller's.",
  },
});
