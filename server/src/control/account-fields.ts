/**
 * The control API's fields that are implemented in Node rather than SQL: account operations (argon2id hashing,
 * session cookies) and the subscriptions that push changes to the console.
 */
import { jsonParse } from 'postgraphile/@dataplan/json';
import { access, context, lambda, listen, object, sideEffect, SafeError, type Step } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';
import { CanopyError } from '../errors.ts';
import type { Identity } from './accounts.ts';

function signedIn(identity: Identity | undefined): Identity {
  if (!identity) throw new CanopyError('UNAUTHENTICATED', 'You must sign in first', 401);
  return identity;
}

export const AccountFieldsPlugin = extendSchema((build) => {
  const { organizations } = build.pgResources;
  return {
    typeDefs: /* GraphQL */ `
      input RegisterInput {
        email: String!
        password: String!
        name: String
      }
      input SignInInput {
        email: String!
        password: String!
      }
      input ChangePasswordInput {
        oldPassword: String!
        newPassword: String!
      }
      """
      A new session. Browsers also receive it as an httpOnly cookie; scripts send the token as
      \`Authorization: Bearer <token>\`. It is shown this once.
      """
      type SessionPayload {
        token: String!
        userId: UUID!
      }
      extend type Mutation {
        "Creates an account and signs in."
        register(input: RegisterInput!): SessionPayload
        "Signs in with email and password. Repeated failures are slowed down, then refused for a while."
        signIn(input: SignInInput!): SessionPayload
        "Ends the current session."
        signOut: Boolean
        "Changes the password and ends every other session."
        changePassword(input: ChangePasswordInput!): Boolean
      }

      "Something changed in an organization (its settings, members or invitations)."
      type OrganizationEvent {
        action: String!
        targetType: String!
        organization: Organization
      }
      "Something changed about the signed-in user's account or memberships."
      type UserEvent {
        action: String!
        targetType: String!
        organizationId: UUID
      }
      extend type Subscription {
        organizationEvents(organizationId: UUID!): OrganizationEvent
        currentUserEvents: UserEvent
      }
    `,
    objects: {
      Mutation: {
        plans: {
          register(_, fieldArgs) {
            return startSession(
              sideEffect([fieldArgs.getRaw('input'), context()], ([input, ctx]) =>
                ctx.canopy.accounts.register(input as never, ctx.canopy.origin),
              ),
            );
          },
          signIn(_, fieldArgs) {
            return startSession(
              sideEffect([fieldArgs.getRaw('input'), context()], ([input, ctx]) =>
                ctx.canopy.accounts.signIn(input as never, ctx.canopy.origin),
              ),
            );
          },
          signOut() {
            return sideEffect(context(), async (ctx) => {
              const identity = signedIn(ctx.canopy.identity);
              await ctx.canopy.accounts.signOut(identity, ctx.canopy.origin);
              ctx.canopy.clearSessionCookie();
              return true;
            });
          },
          changePassword(_, fieldArgs) {
            return sideEffect([fieldArgs.getRaw('input'), context()], async ([input, ctx]) => {
              const identity = signedIn(ctx.canopy.identity);
              await ctx.canopy.accounts.changePassword(identity, input as never, ctx.canopy.origin);
              return true;
            });
          },
        },
      },
      SessionPayload: {
        plans: {
          token: ($session: Step) => access($session, 'token'),
          userId: ($session: Step) => access($session, 'userId'),
        },
      },
      Subscription: {
        plans: {
          organizationEvents: {
            subscribePlan(_, fieldArgs) {
              // Only an organization the subscriber can see (RLS) has a topic to listen to.
              const $organization = organizations.get({ id: fieldArgs.getRaw('organizationId') });
              const $topic = lambda($organization.get('id'), (id: string | null) => {
                if (!id) throw new SafeError('No such organization', { code: 'NOT_FOUND' });
                return `canopy:organization:${id}`;
              });
              return listen(context().get('pgSubscriber'), $topic, jsonParse);
            },
            plan: ($event: Step) => $event,
          },
          currentUserEvents: {
            subscribePlan() {
              const $topic = lambda(context(), (ctx) => `canopy:user:${signedIn(ctx.canopy.identity).userId}`);
              return listen(context().get('pgSubscriber'), $topic, jsonParse);
            },
            plan: ($event: Step) => $event,
          },
        },
      },
      OrganizationEvent: {
        plans: {
          organization: ($event: Step) => organizations.get({ id: access($event, 'organizationId') }),
        },
      },
    },
  };
});

/** Sets the browser's session cookie from a new session, and answers with it. */
function startSession($session: Step<{ token: string; userId: string }>) {
  const $cookieSet = sideEffect([$session, context()], ([session, ctx]) => {
    ctx.canopy.setSessionCookie(session.token);
    return session;
  });
  return object({ token: access($cookieSet, 'token'), userId: access($cookieSet, 'userId') });
}
