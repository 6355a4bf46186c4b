/**
 * Mail over real SMTP: with CANOPY_SMTP_URL set, an invitation reaches an SMTP server (smtp-server on loopback) with
 * its link, and the outbox keeps no token once it has gone.
 */
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { SMTPServer } from 'smtp-server';
import { signUp, uniqueEmail } from './support/client.ts';
import { newOrganization, waitFor } from './support/org-fixtures.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

const received: Array<{ to: string[]; raw: string }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString() });
      callback();
    });
  },
});

let platform: TestPlatform;
test.before(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  platform = await startTestPlatform({
    CANOPY_SMTP_URL: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
    CANOPY_MAIL_FROM: 'Canopy <canopy@example.com>',
  });
});
test.after.always(async () => {
  await platform?.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

test('an invitation is mailed over SMTP with its link, and the outbox forgets the token once sent', async (t) => {
  const owner = await signUp(platform);
  const org = await newOrganization(platform, owner);
  const email = uniqueEmail('invitee');
  await owner.client.data(
    `mutation ($id: UUID!, $email: String!) {
       inviteToOrganization(input: { organizationId: $id, email: $email, role: developer }) { result { id } }
     }`,
    { id: org.id, email },
  );
  const mail = await waitFor('the mail', async () => received.find((message) => message.to.includes(email)));
  t.regex(mail.raw, /From: Canopy <canopy@example.com>/);
  t.regex(mail.raw, new RegExp(`Subject: You are invited to join ${org.name}`));
  const link = mail.raw.replace(/=\r?\n/g, '').match(/\/invitations\/([A-Za-z0-9_-]+)/);
  t.truthy(link, 'the mail carries the invitation link');

  // The SMTP server has the mail a moment before the worker records it as sent.
  const sent = await waitFor('the mail to be recorded as sent', async () => {
    const { rows } = await platform.owner.query(
      'select variables from app_private.mails where recipient = $1 and sent_at is not null',
      [email],
    );
    return rows[0];
  });
  t.deepEqual(sent.variables, {}, 'no token stays at rest once the mail has gone');
  const { organizationInvitationByToken } = await owner.client.data(
    `query ($token: String!) { organizationInvitationByToken(token: $token) { email } }`,
    { token: link![1] },
  );
  t.is(organizationInvitationByToken.email, email);
});
