/**
 * The signed-in user: GET /user, PUT /user (user_metadata as `data`, password, email) and POST /logout. A user
 * changes only their own user_metadata: app_metadata and role are the admin API's, and keys other than these are
 * ignored, as GoTrue ignores them.
 */
import type { FastifyInstance } from 'fastify';
import { authContext } from '../context.ts';
import { currentUser } from '../current-user.ts';
import { AuthError, emailExists } from '../errors.ts';
import * as input from '../input.ts';
import { type IssuedToken, issueToken, mailToken } from '../one-time-tokens.ts';
import { checkPassword, hashPassword, passwordMatches } from '../passwords.ts';
import { resolveRedirect } from '../redirects.ts';
import type { AuthDependencies } from '../routes.ts';
import { endSessions, type SignOutScope } from '../sessions.ts';
import { userJson } from '../shapes.ts';
import { loadSettings } from '../settings.ts';
import { updateUser, userByEmail } from '../users.ts';

interface UpdateBody {
  email?: string;
  password?: string;
  data?: Record<string, unknown>;
}

export function userRoutes(app: FastifyInstance, { config, ownerPool }: AuthDependencies) {
  app.get('/user', async (request) => {
    const context = authContext(request, config);
    const { user } = await context.transaction((client) => currentUser(context, client));
    return userJson(user);
  });

  app.put<{ Body: UpdateBody; Querystring: { redirect_to?: string } }>(
    '/user',
    {
      schema: {
        body: { type: 'object', properties: { email: input.email, password: input.password, data: input.metadata } },
      },
    },
    async (request) => {
      const context = authContext(request, config);
      const { body } = request;
      const userMetadata = input.validMetadata(body.data);
      const newEmail = body.email === undefined ? undefined : input.validEmail(body.email);
      const { user, settings } = await context.transaction(async (client) => ({
        user: (await currentUser(context, client)).user,
        settings: await loadSettings(client, context.schema),
      }));
      let passwordHash: string | undefined;
      if (body.password !== undefined) {
        checkPassword(body.password, settings.minPasswordLength);
        if (await passwordMatches(user.password_hash, body.password)) {
          throw new AuthError(422, 'same_password', 'New password should be different from the old password.');
        }
        passwordHash = await hashPassword(body.password);
      }
      const changesEmail = newEmail !== undefined && newEmail.toLowerCase() !== user.email.toLowerCase();

      let issued: IssuedToken | undefined;
      const updated = await context.transaction(async (client) => {
        const { sessionId } = await currentUser(context, client);
        if (changesEmail && (await userByEmail(client, context.schema, newEmail))) throw emailExists();
        let row = await updateUser(client, context.schema, user.id, {
          passwordHash,
          userMetadata,
          // Without confirmation the address changes at once; with it, once the mail to the new one is confirmed.
          email: changesEmail && !settings.confirmEmail ? newEmail : undefined,
        });
        if (changesEmail && settings.confirmEmail) {
          issued = await issueToken(context, client, row, 'email_change', { email: newEmail });
          const { rows } = await client.query(
            `update ${context.schema}.users set email_change = $2 where id = $1 returning *`,
            [user.id, newEmail],
          );
          row = rows[0];
        }
        // A new password ends the user's other sessions: whoever knew the old one is signed out.
        if (passwordHash && sessionId) await endSessions(client, context.schema, user.id, sessionId, 'others');
        return row;
      });
      if (issued) await mailToken(context, ownerPool, issued, resolveRedirect(settings, request.query.redirect_to));
      return userJson(updated);
    },
  );

  app.post<{ Querystring: { scope?: string } }>(
    '/logout',
    {
      schema: {
        querystring: { type: 'object', properties: { scope: { type: 'string', enum: ['global', 'local', 'others'] } } },
      },
    },
    async (request, reply) => {
      const context = authContext(request, config);
      const scope = (request.query.scope ?? 'global') as SignOutScope;
      await context.transaction(async (client) => {
        const { user, sessionId } = await currentUser(context, client);
        await endSessions(client, context.schema, user.id, sessionId, scope);
      });
      return reply.status(204).send();
    },
  );
}
