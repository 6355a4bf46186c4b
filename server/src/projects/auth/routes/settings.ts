/** GET /settings: what the project's auth offers, in GoTrue's shape (some clients read it to show sign-up). */
import type { FastifyInstance } from 'fastify';
import { authContext } from '../context.ts';
import type { AuthDependencies } from '../routes.ts';
import { loadSettings } from '../settings.ts';

export function settingsRoutes(app: FastifyInstance, { config }: AuthDependencies) {
  app.get('/settings', async (request) => {
    const context = authContext(request, config);
    const settings = await context.transaction((client) => loadSettings(client, context.schema));
    return {
      external: { email: true, phone: false, anonymous_users: false },
      disable_signup: !settings.enableSignup,
      mailer_autoconfirm: !settings.confirmEmail,
      phone_autoconfirm: false,
      sms_provider: '',
      saml_enabled: false,
    };
  });
}
