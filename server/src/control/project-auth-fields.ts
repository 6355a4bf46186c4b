/**
 * Control API fields for a project's auth settings (the console's Auth settings page): the one row of
 * `p_<ref>_auth.settings` in the project's database. Every member reads them; owners, administrators and developers
 * change them, audited as `project.auth_settings_updated`. The project's auth API reads them on every request.
 */
import { context, lambda, sideEffect } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';
import { CanopyError } from '../errors.ts';
import type { AuthSettingsPatch } from '../projects/users.ts';

export const ProjectAuthFieldsPlugin = extendSchema(() => ({
  typeDefs: /* GraphQL */ `
    "How a project's end users sign up and sign in (its auth API, \`/auth/v1\`)."
    type ProjectAuthSettings {
      "Whether new users may sign up (or sign in by mail with an address the project does not know yet)."
      enableSignup: Boolean!
      "Whether a new address must be confirmed (by the mailed link or code) before its user may sign in."
      confirmEmail: Boolean!
      "Lifetime of an access token, in seconds."
      accessTokenTtl: Int!
      minPasswordLength: Int!
      "Where mailed links may send people back to: exact URLs, or with \`*\` (within a path segment) or \`**\` in the path."
      redirectUrls: [String!]!
      "Where mailed links go when the app names no allowed redirect."
      siteUrl: String
    }
    """
    Changes to a project's auth settings; fields left out stay as they are. \`accessTokenTtl\` is 60 to 604800 seconds,
    \`minPasswordLength\` 6 to 72, \`siteUrl\` (null or empty: none) and each of at most 100 \`redirectUrls\` an
    absolute http(s) URL.
    """
    input ProjectAuthSettingsPatch {
      enableSignup: Boolean
      confirmEmail: Boolean
      accessTokenTtl: Int
      minPasswordLength: Int
      redirectUrls: [String!]
      siteUrl: String
    }
    extend type Query {
      "A project's auth settings (any member)."
      projectAuthSettings(projectId: UUID!): ProjectAuthSettings
    }
    extend type Mutation {
      "Changes a project's auth settings (owners, administrators, developers); audited. Returns them as they now are."
      updateProjectAuthSettings(projectId: UUID!, patch: ProjectAuthSettingsPatch!): ProjectAuthSettings
    }
  `,
  objects: {
    Query: {
      plans: {
        projectAuthSettings(_, fieldArgs) {
          return lambda([fieldArgs.getRaw('projectId'), context()], ([projectId, ctx]) =>
            ctx.canopy.projectUsers.authSettings(signedIn(ctx), projectId as string),
          );
        },
      },
    },
    Mutation: {
      plans: {
        updateProjectAuthSettings(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, patch } = args as { projectId: string; patch: AuthSettingsPatch };
            return ctx.canopy.projectUsers.updateAuthSettings(signedIn(ctx), ctx.canopy.origin, projectId, patch);
          });
        },
      },
    },
  },
}));

function signedIn(ctx: Grafast.Context) {
  if (!ctx.canopy.identity) throw new CanopyError('UNAUTHENTICATED', 'You must sign in first', 401);
  return ctx.canopy.identity;
}
