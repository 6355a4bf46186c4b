/** Users and sessions as GoTrue answers them (fields without a value are left out, as GoTrue's omitempty does). */
import { randomUUID } from 'node:crypto';
import type { UserRow } from './users.ts';

export function userJson(user: UserRow) {
  const identity = {
    identity_id: user.id,
    id: user.id,
    user_id: user.id,
    identity_data: { email: user.email, email_verified: !!user.email_confirmed_at, phone_verified: false, sub: user.id },
    provider: 'email',
    email: user.email.toLowerCase(),
    last_sign_in_at: user.last_sign_in_at ?? undefined,
    created_at: user.created_at,
    updated_at: user.updated_at,
  };
  return {
    id: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: user.email,
    email_confirmed_at: user.email_confirmed_at ?? undefined,
    phone: '',
    confirmation_sent_at: user.confirmation_sent_at ?? undefined,
    confirmed_at: user.email_confirmed_at ?? undefined,
    recovery_sent_at: user.recovery_sent_at ?? undefined,
    new_email: user.email_change ?? undefined,
    email_change_sent_at: user.email_change_sent_at ?? undefined,
    last_sign_in_at: user.last_sign_in_at ?? undefined,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
    identities: [identity],
    created_at: user.created_at,
    updated_at: user.updated_at,
    is_anonymous: false,
  };
}

export interface IssuedSession {
  accessToken: string;
  expiresAt: number;
  expiresIn: number;
  refreshToken: string;
  user: UserRow;
}

export function sessionJson(session: IssuedSession) {
  return {
    access_token: session.accessToken,
    token_type: 'bearer',
    expires_in: session.expiresIn,
    expires_at: session.expiresAt,
    refresh_token: session.refreshToken,
    user: userJson(session.user),
  };
}

/**
 * What signing up with an address that already has a confirmed user answers when addresses must be confirmed:
 * a user-shaped object that belongs to nobody, so that sign-up does not tell who has an account (as GoTrue does).
 */
export function obfuscatedUserJson(email: string) {
  const now = new Date();
  return {
    id: randomUUID(),
    aud: 'authenticated',
    role: 'authenticated',
    email,
    phone: '',
    confirmation_sent_at: now,
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: {},
    identities: [],
    created_at: now,
    updated_at: now,
    is_anonymous: false,
  };
}
