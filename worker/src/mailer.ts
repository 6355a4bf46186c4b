/**
 * Sends mail over SMTP when CANOPY_SMTP_URL is set. Without it (development), a mail is delivered by staying in the
 * outbox table `app_private.mails`, where tests and platform admins read it.
 */
import nodemailer from 'nodemailer';
import type { Config } from '../../server/src/config.ts';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Whether the outbox row is the only copy (no SMTP): then it keeps its content. */
  readonly outboxOnly: boolean;
  send(mail: Mail): Promise<void>;
}

export function createMailer(config: Config): Mailer {
  const { smtpUrl, from } = config.mail;
  if (!smtpUrl) return { outboxOnly: true, send: async () => {} };
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    outboxOnly: false,
    send: async (mail) => {
      await transport.sendMail({ from, ...mail });
    },
  };
}

/** The mails Canopy sends, by template name. */
export const templates: Record<string, (variables: Record<string, string>, publicUrl: string) => Omit<Mail, 'to'>> = {
  organization_invitation: (v, publicUrl) => ({
    subject: `You are invited to join ${v.organization_name} on Canopy`,
    text: [
      `${v.inviter_email} invites you to join ${v.organization_name} as ${v.role.replace('_', '-')}.`,
      '',
      `Accept or decline: ${publicUrl}/invitations/${encodeURIComponent(v.token)}`,
      '',
      `The invitation expires at ${v.expires_at} and works once.`,
    ].join('\n'),
  }),
  // A project's end-user auth mails (server/src/projects/auth): a link and a 6-digit code for the same token.
  auth_confirmation: (v) => ({
    subject: 'Confirm your email address',
    text: authMailText('Confirm your email address by opening this link', v),
  }),
  auth_invite: (v) => ({
    subject: 'You have been invited',
    text: authMailText('You have been invited to create an account. Accept by opening this link', v),
  }),
  auth_recovery: (v) => ({
    subject: 'Reset your password',
    text: authMailText('Someone asked to reset your password. If it was you, open this link', v),
  }),
  auth_magic_link: (v) => ({
    subject: 'Your sign-in link',
    text: authMailText('Sign in by opening this link', v),
  }),
  auth_email_change: (v) => ({
    subject: 'Confirm your new email address',
    text: authMailText('Confirm this new email address for your account by opening this link', v),
  }),
};

function authMailText(invitation: string, v: Record<string, string>): string {
  return [
    `${invitation}:`,
    '',
    v.link,
    '',
    `or enter this code: ${v.code}`,
    '',
    `It works once, until ${v.expires_at}. If you did not ask for this, ignore this mail.`,
  ].join('\n');
}
