/**
 * Delivers one queued mail. Safe to run twice: a mail already sent is skipped, and over SMTP its variables (which
 * may hold a token) are wiped once it has gone.
 */
import type { Task } from 'graphile-worker';
import type { Config } from '../../../server/src/config.ts';
import { type Mailer, templates } from '../mailer.ts';

export interface MailSendPayload {
  id: string;
}

export function makeMailSend(config: Config, mailer: Mailer): Task {
  return async (payload, helpers) => {
    const { id } = payload as MailSendPayload;
    const { rows } = await helpers.query<{ recipient: string; template: string; variables: Record<string, string> }>(
      'select recipient, template, variables from app_private.mails where id = $1 and sent_at is null',
      [id],
    );
    const mail = rows[0];
    if (!mail) return;
    const render = templates[mail.template];
    if (!render) throw new Error(`Unknown mail template ${mail.template}`);
    await mailer.send({ to: mail.recipient, ...render(mail.variables, config.publicUrl) });
    await helpers.query(
      `update app_private.mails set sent_at = now(), variables = case when $2 then variables else '{}' end
       where id = $1`,
      [id, mailer.outboxOnly],
    );
  };
}
