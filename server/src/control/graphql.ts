/**
 * The control API: PostGraphile 5 over `app_public`, as canopy_visitor (signed in) or canopy_anonymous, with the
 * caller's identity in transaction-local settings that the RLS policies read.
 */
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { SafeError } from 'postgraphile/grafast';
import { defaultMaskError } from 'postgraphile/grafserv';
import type {} from 'postgraphile/grafserv/node';
import { GraphQLError, type ValidationContext } from 'postgraphile/graphql';
import { PgSimplifyInflectionPreset } from '@graphile/simplify-inflection';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import type { Config } from '../config.ts';
import { CanopyError, fromPostgresError } from '../errors.ts';
import type { ProjectCredentialsService } from '../projects/credentials.ts';
import { AccountFieldsPlugin } from './account-fields.ts';
import type { Accounts, Identity, RequestOrigin } from './accounts.ts';
import { ProjectFieldsPlugin } from './project-fields.ts';
import { bearerToken, type Caller, clearSessionCookie, requestOrigin, setSessionCookie } from './credentials.ts';

declare global {
  namespace Grafast {
    interface Context {
      canopy: {
        accounts: Accounts;
        projects: ProjectCredentialsService;
        identity?: Identity;
        origin: RequestOrigin;
        /** No-ops over WebSocket, where there is no HTTP response to set a cookie on. */
        setSessionCookie(token: string): void;
        clearSessionCookie(): void;
      };
    }
  }
}

/** What one document may ask for. Generous for the console and scripts, fatal to abuse. */
const LIMITS = { depth: 12, cost: 20_000, aliases: 30, directives: 20, bodyBytes: 100_000, statementTimeout: '15s' };

const LimitsPlugin: GraphileConfig.Plugin = {
  name: 'CanopyQueryLimitsPlugin',
  version: '1.0.0',
  grafserv: {
    middleware: {
      setPreset(next, event) {
        // Each limit reports its refusal itself, with a code clients can branch on.
        const refuse = { propagateOnRejection: false, onReject: [reportWithCode('QUERY_TOO_COMPLEX')] };
        event.validationRules.push(
          maxDepthRule({ n: LIMITS.depth, flattenFragments: true, ...refuse }),
          costLimitRule({ maxCost: LIMITS.cost, ...refuse }),
          maxAliasesRule({ n: LIMITS.aliases, ...refuse }),
          maxDirectivesRule({ n: LIMITS.directives, ...refuse }),
        );
        return next();
      },
    },
  },
};

function reportWithCode(code: string) {
  return (context: ValidationContext | null, error: GraphQLError) => context?.reportError(withCode(error, error.message, code));
}

/** With Relay global ids off, a primary key called `id` keeps its name (PostGraphile would call it `rowId`). */
const KeepIdPlugin: GraphileConfig.Plugin = {
  name: 'CanopyKeepIdPlugin',
  version: '1.0.0',
  inflection: {
    replace: {
      _attributeName(previous, _options, details) {
        return previous!({ ...details, skipRowId: true });
      },
    },
  },
};

/** Errors reach clients with a stable `extensions.code` and a message meant for people; anything else is hidden. */
export function maskError(error: GraphQLError): GraphQLError {
  const original = error.originalError;
  if (!original) return error;
  // A variable that does not fit its type (a malformed UUID, say) is the request's fault, and says why.
  if (!error.path && error.message.startsWith('Variable "$')) return withCode(error, error.message, 'INVALID_INPUT');
  // PostGraphile's delete mutations throw this when RLS hides the row (or there is none): the same answer either way.
  if (/^No values were deleted in collection/.test(error.message)) {
    return withCode(error, 'There is nothing with that id that you may delete', 'NOT_FOUND');
  }
  const known = original instanceof CanopyError ? original : fromPostgresError(original as object);
  if (known) return withCode(error, known.message, known.code);
  if (original instanceof SafeError) return error;
  const masked = defaultMaskError(error);
  return withCode(masked, masked.message, 'INTERNAL_ERROR');
}

export function withCode(error: GraphQLError, message: string, code: string): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

export function createControlGraphQL(options: {
  config: Config;
  pool: pg.Pool;
  accounts: Accounts;
  projects: ProjectCredentialsService;
}) {
  const { config, pool, accounts, projects } = options;
  // Kept to release on close: it holds the LISTEN connection subscriptions use.
  const pgService = makePgService({ pool, schemas: ['app_public'] });
  const preset: GraphileConfig.Preset = {
    // Short names (`organizations`, `organization.memberships`) instead of `allOrganizations`, `…ByOrganizationId`.
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    // Keep `id` as the UUID primary key instead of Relay global ids: simpler for scripts and the console.
    disablePlugins: ['NodePlugin'],
    plugins: [KeepIdPlugin, AccountFieldsPlugin, ProjectFieldsPlugin, LimitsPlugin],
    pgServices: [pgService],
    schema: { dontSwallowErrors: true },
    grafserv: {
      graphqlPath: '/graphql',
      websockets: true,
      graphiql: true,
      graphiqlPath: '/graphiql',
      graphiqlOnGraphQLGET: false,
      maxRequestLength: LIMITS.bodyBytes,
      maskError,
    },
    grafast: {
      async context(requestContext) {
        const http = requestContext.fastifyv5;
        if (http) {
          return callerContext(http.request.caller ?? { origin: requestOrigin(http.request) }, {
            setSessionCookie: (token) => setSessionCookie(http.reply, config, token),
            clearSessionCookie: () => clearSessionCookie(http.reply),
          });
        }
        // A WebSocket operation: the connection_init payload's token wins over the upgrade request's cookie.
        const upgrade = requestContext.ws?.request as unknown as FastifyRequest | undefined;
        let caller: Caller = upgrade?.caller ?? { origin: { ip: '', userAgent: '' } };
        const token = bearerToken(requestContext.ws?.normalizedConnectionParams?.authorization);
        if (token) {
          const identity = await accounts.authenticate(token);
          if (!identity) throw new SafeError('The token is unknown, expired or revoked', { code: 'INVALID_TOKEN' });
          caller = { ...caller, identity };
        }
        return callerContext(caller, { setSessionCookie: () => {}, clearSessionCookie: () => {} });
      },
    },
  };

  function callerContext(
    caller: Caller,
    cookies: Pick<Grafast.Context['canopy'], 'setSessionCookie' | 'clearSessionCookie'>,
  ): Partial<Grafast.Context> {
    const { identity, origin } = caller;
    return {
      pgSettings: {
        role: identity ? 'canopy_visitor' : 'canopy_anonymous',
        'canopy.user_id': identity?.userId,
        'canopy.session_id': identity?.sessionId,
        'canopy.client_ip': origin.ip || undefined,
        'canopy.user_agent': origin.userAgent || undefined,
        statement_timeout: LIMITS.statementTimeout,
      },
      canopy: { accounts, projects, identity, origin, ...cookies },
    };
  }

  const pgl = postgraphile(preset);
  return {
    pgl,
    async release() {
      await pgl.release();
      await pgService.release?.();
    },
  };
}
