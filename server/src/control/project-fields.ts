/**
 * Control API fields for projects that need Node: revealing credentials (decrypting secrets, signing keys), and the
 * project's end users and its storage, which live in the project's own database and bucket.
 */
import { context, lambda, sideEffect } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';
import { CanopyError } from '../errors.ts';

export const ProjectFieldsPlugin = extendSchema(() => ({
  typeDefs: /* GraphQL */ `
    """
    How to reach a project. Every member sees \`apiUrl\` and \`anonKey\`; owners, administrators and developers also
    see the secrets (null for read-only members), and each such reveal is in the audit log.
    """
    type ProjectCredentials {
      apiUrl: String!
      anonKey: String!
      serviceRoleKey: String
      jwtSecret: String
      "For psql and graphile-migrate, as the project's owner login."
      databaseUrl: String
    }
    extend type Query {
      projectCredentials(projectId: UUID!): ProjectCredentials
      "A project's end users (its auth API's), newest first; \`search\` matches part of the email."
      projectUsers(projectId: UUID!, search: String, first: Int = 50, offset: Int = 0): ProjectUsersPage
      "A project's storage: objects and bytes in all, and per bucket; always current."
      projectStorageUsage(projectId: UUID!): ProjectStorageUsage
      "A bucket's objects whose names start with \`prefix\`, by name."
      projectStorageObjects(projectId: UUID!, bucket: String!, prefix: String, first: Int = 100, offset: Int = 0): [StoredObject!]
    }

    type StoredObject {
      name: String!
      size: Float!
      mimeType: String
      updatedAt: Datetime!
    }

    type BucketUsage {
      bucket: String!
      public: Boolean!
      objects: Int!
      bytes: Float!
    }
    type ProjectStorageUsage {
      objects: Int!
      bytes: Float!
      buckets: [BucketUsage!]!
    }

    "An end user of a project."
    type ProjectUser {
      id: UUID!
      email: String!
      createdAt: Datetime!
      lastSignInAt: Datetime
      emailConfirmedAt: Datetime
    }
    type ProjectUsersPage {
      totalCount: Int!
      nodes: [ProjectUser!]!
    }
    extend type Mutation {
      "Creates a confirmed end user (owners, administrators, developers); without a password they sign in by mail."
      createProjectUser(projectId: UUID!, email: String!, password: String): ProjectUser
      "Deletes an end user and their sessions (owners, administrators, developers)."
      deleteProjectUser(projectId: UUID!, userId: UUID!): Boolean
      """
      A URL of the project's storage API for one object: a download (any member; \`expiresIn\` seconds) or, with
      \`upload: true\`, an upload by PUT (owners, administrators, developers; two hours). With \`width\` and/or
      \`height\` (1 to 2,500), an image's preview fitted within them instead of the object itself.
      """
      createProjectStorageUrl(
        projectId: UUID!
        bucket: String!
        path: String!
        upload: Boolean = false
        expiresIn: Int = 600
        width: Int
        height: Int
      ): String
      "Deletes objects (owners, administrators, developers); returns how many were deleted."
      deleteProjectStorageObjects(projectId: UUID!, bucket: String!, paths: [String!]!): Int
    }
  `,
  objects: {
    Query: {
      plans: {
        projectCredentials(_, fieldArgs) {
          return lambda([fieldArgs.getRaw('projectId'), context()], ([projectId, ctx]) => {
            const { origin, projects } = ctx.canopy;
            return projects.reveal(signedIn(ctx), projectId as string, origin);
          });
        },
        projectUsers(_, fieldArgs) {
          return lambda([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, ...page } = args as { projectId: string; search?: string; first: number; offset: number };
            return ctx.canopy.projectUsers.list(signedIn(ctx), projectId, { ...page, search: page.search ?? '' });
          });
        },
        projectStorageUsage(_, fieldArgs) {
          return lambda([fieldArgs.getRaw('projectId'), context()], ([projectId, ctx]) =>
            ctx.canopy.projectStorage.usage(signedIn(ctx), projectId as string),
          );
        },
        projectStorageObjects(_, fieldArgs) {
          return lambda([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, bucket, ...page } = args as { projectId: string; bucket: string; prefix?: string; first: number; offset: number };
            return ctx.canopy.projectStorage.objects(signedIn(ctx), projectId, bucket, { ...page, prefix: page.prefix ?? '' });
          });
        },
      },
    },
    Mutation: {
      plans: {
        createProjectUser(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, email, password } = args as { projectId: string; email: string; password?: string };
            return ctx.canopy.projectUsers.create(signedIn(ctx), ctx.canopy.origin, projectId, email, password ?? null);
          });
        },
        createProjectStorageUrl(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, ...input } = args as {
              projectId: string;
              bucket: string;
              path: string;
              upload: boolean;
              expiresIn: number;
              width?: number | null;
              height?: number | null;
            };
            return ctx.canopy.projectStorage.signedUrl(signedIn(ctx), projectId, input);
          });
        },
        deleteProjectStorageObjects(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, bucket, paths } = args as { projectId: string; bucket: string; paths: string[] };
            return ctx.canopy.projectStorage.remove(signedIn(ctx), ctx.canopy.origin, projectId, bucket, paths);
          });
        },
        deleteProjectUser(_, fieldArgs) {
          return sideEffect([fieldArgs.getRaw(), context()], ([args, ctx]) => {
            const { projectId, userId } = args as { projectId: string; userId: string };
            return ctx.canopy.projectUsers.delete(signedIn(ctx), ctx.canopy.origin, projectId, userId);
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
