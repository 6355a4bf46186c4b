/**
 * Auth mails go through the platform's mail outbox in the control database (`app_private.mails`), whose trigger
 * enqueues the worker's `mail__send`; the templates are in worker/src/mailer.ts.
 */
import type pg from 'pg';

export type AuthMailTemplate = 'auth_confirmation' | 'auth_invite' | 'auth_recovery' | 'auth_magic_link' | 'auth_email_change';

export async function queueAuthMail(
  ownerPool: pg.Pool,
  recipient: string,
  template: AuthMailTemplate,
  variables: Record<string, string>,
): Promise<void> {
  await ownerPool.query('insert into app_private.mails (recipient, template, variables) values ($1, $2, $3)', [
    recipient,
    template,
    variables,
  ]);
}
