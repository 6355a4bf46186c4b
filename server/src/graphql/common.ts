/**
 * What every Canopy GraphQL API shares, the control API and each project's: query limits, errors clients may see,
 * and the naming of primary keys.
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { SafeError } from 'postgraphile/grafast';
import { defaultMaskError } from 'postgraphile/grafserv';
import { GraphQLError, type ValidationContext } from 'postgraphile/graphql';
import { CanopyError, fromPostgresError } from '../errors.ts';

/** What one document may ask for. Generous for the console and scripts, fatal to abuse. */
export const LIMITS = { depth: 12, cost: 20_000, aliases: 30, directives: 20, bodyBytes: 100_000, statementTimeout: '15s' };

export const LimitsPlugin: GraphileConfig.Plugin = {
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
export const KeepIdPlugin: GraphileConfig.Plugin = {
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

