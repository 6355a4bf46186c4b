/**
 * Subscriptions to the row changes of a project's live tables (canopy.enable_live): for a table whose GraphQL type
 * is `Todo`, `subscription { todoChanged { op todo { … } } }`. A subscriber hears of a change only if its RLS lets it
 * see the row (a deletion, whose row cannot be read any more, reaches every subscriber with its key only, as in
 * Supabase), and `todo` is the row as that subscriber's role reads it (null for a deletion).
 *
 * The cost of a change must not grow with a query per subscriber. So:
 *
 * - Feeds (one per live table, per project): one question per change, for every subscriber of the
 *   table at once — canopy.live_rows (db/tenant/org/0006) is asked once about each distinct (role, claims) pair, in
 *   one snapshot, and reads the row once per role.
 * - Hubs (per project instance): subscribers whose operations would produce the same payload share one execution.
 *   That is the same document, variables and role, and — when the operation reads anything that could depend on who
 *   asks (a computed column, a related table under its own RLS) — the same claims. An operation that reads only the
 *   op and the row's own columns reads nothing that depends on claims: the row comes with the change, from the
 *   question above, so its payload is executed once and sent to each subscriber who may see the row.
 * - Database work for live events (questions and executions) takes at most a third of the project's pool, so that
 *   a burst of changes cannot starve the project API's requests.
 *
 * A subscriber stops receiving, with an error, when its token expires, or when the project is paused, deleted or its
 * JWT secret rotated.
 */
import { access, context, type GrafastSubscriber, inhibitOnNull, listen, type Step } from 'postgraphile/grafast';
import {
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  print,
  type SelectionSetNode,
} from 'postgraphile/graphql';
import { extendSchema } from 'postgraphile/utils';
import { CanopyError } from '../errors.ts';
import { LIMITS } from '../graphql/common.ts';
import type { ProjectCaller } from './callers.ts';
import type { Announcements, ProjectPool } from './databases.ts';

export interface LiveTable {
  oid: number;
  tableName: string;
  keyColumns: string[];
}

/** The live tables of a schema that still exist. */
export async function liveTables(pool: ProjectPool, schema: string): Promise<LiveTable[]> {
  const { rows } = await pool.query<LiveTable>(
    `select l.table_oid::int as oid, l.table_name as "tableName", l.key_columns as "keyColumns"
     from canopy.live_tables l join pg_class c on c.oid = l.table_oid
     where l.schema_name = $1 order by l.table_name`,
    [schema],
  );
  return rows;
}

const TOPIC_PREFIX = 'canopy:live:';

/** What the schema offers for one live table, for the hubs to tell which operations may share an execution. */
export interface LiveField {
  table: number;
  /** The change type's field holding the row (`todo`). */
  rowField: string;
  /** The row type's fields that are its own columns of plain values (not records, whose types may have relations). */
  columns: Set<string>;
}

/** By subscription field name (`todoChanged`); filled in as the schema is built. */
export type LiveFields = Map<string, LiveField>;

interface Codec {
  attributes?: unknown;
  arrayOfCodec?: Codec;
  domainOfCodec?: Codec;
}
const plainValues = (codec: Codec): boolean =>
  !codec.attributes &&
  (!codec.arrayOfCodec || plainValues(codec.arrayOfCodec)) &&
  (!codec.domainOfCodec || plainValues(codec.domainOfCodec));

export function LiveTablesPlugin(schema: string, tables: LiveTable[], fields: LiveFields): GraphileConfig.Plugin {
  return extendSchema((build) => {
    const { sql } = build;
    const { PgSelectStep } = build.dataplanPg;
    const typeDefs: string[] = [];
    const subscriptionPlans: Record<string, unknown> = {};
    const objects: Record<string, { plans: Record<string, unknown> }> = {};
    for (const table of tables) {
      const resource = Object.values(build.pgResources).find(
        (candidate) =>
          !candidate.parameters &&
          candidate.codec.extensions?.pg?.schemaName === schema &&
          candidate.codec.extensions?.pg?.name === table.tableName,
      );
      if (!resource?.codec.attributes) continue; // not exposed to the API (no grants, or @behavior -*)
      const typeName = build.inflection.tableType(resource.codec);
      const rowField = build.inflection.camelCase(typeName);
      const changeType = `${typeName}Change`;
      typeDefs.push(
        `"""A row of \`${table.tableName}\` was inserted, updated or deleted."""
        type ${changeType} { op: String! ${rowField}: ${typeName} }`,
        `extend type Subscription { ${rowField}Changed: ${changeType} }`,
      );
      fields.set(`${rowField}Changed`, {
        table: table.oid,
        rowField,
        columns: new Set(
          Object.entries(resource.codec.attributes as Record<string, { codec: Codec }>)
            .filter(([, attribute]) => plainValues(attribute.codec))
            .map(([attributeName]) => build.inflection.attribute({ attributeName, codec: resource.codec })),
        ),
      });
      subscriptionPlans[`${rowField}Changed`] = {
        // The hub's events (LiveHub), not the organization's raw subscriber: only changes someone may see, with the row.
        subscribePlan: () => listen(context().get('canopyLiveChanges'), `${TOPIC_PREFIX}${table.oid}`, ($item) => $item),
        plan: ($event: Step) => $event,
      };
      objects[changeType] = {
        plans: {
          op: ($event: Step) => access($event, 'op'),
          // The row came with the event, as a record literal read in the change's snapshot under a role that may see
          // it: selected from that record, not from the table (no second read, and no RLS to pass again). Computed
          // columns and relations are then evaluated as the subscriber; a deletion has no record, and `todo` is null.
          [rowField]: ($event: Step) => {
            const $record = inhibitOnNull(access($event, 'record'));
            const $select = new PgSelectStep({
              resource,
              identifiers: [],
              from: {
                callback: ($root) =>
                  // Already a record literal of the table's type: passed as is (the third argument).
                  sql`(select (${($root as unknown as Placeholders).placeholder($record, resource.codec, true)}).*)`,
              },
              joinAsLateral: true,
            });
            return $select.single();
          },
        },
      };
    }
    return { typeDefs: typeDefs.join('\n'), objects: { ...objects, Subscription: { plans: subscriptionPlans } } } as never;
  });
}

interface Placeholders {
  placeholder(step: Step, codec: unknown, alreadyEncoded: boolean): ReturnType<typeof import('postgraphile/pg-sql2').sql>;
}

/* ------------------------------------------------------------------ feeds: one question per change */

export interface LiveEvent {
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  key: Record<string, unknown>;
}

/**
 * The change in an announcement, if it is one. Only the table's own project can announce on its channel
 * (announcements.ts), but it can call canopy.announce_row_change itself: what it sends is not trusted to be well made.
 */
function liveEvent(message: string): LiveEvent | undefined {
  try {
    const event = JSON.parse(message) as LiveEvent;
    const wellMade = ['INSERT', 'UPDATE', 'DELETE'].includes(event?.op) && typeof event.key === 'object' && event.key !== null;
    return wellMade ? event : undefined;
  } catch {
    return undefined;
  }
}

/** A subscriber as canopy.live_rows takes it: its database role and its claims as request.jwt.claims holds them. */
export interface LiveCaller {
  role: string;
  claims: string;
}

/** Listens to a table's changes for some subscribers (a hub). */
export interface FeedListener {
  /** The subscribers to ask about for the change at hand. */
  ask(): readonly LiveCaller[];
  /**
   * The change, with whether each subscriber just asked about may see it (in the same order; null for a deletion,
   * which all hear), and the row as a record literal for each role that may see it.
   */
  hear(event: LiveEvent, visible: readonly boolean[] | null, rows: ReadonlyMap<string, string>): void;
  fail(error: unknown): void;
}

interface Feed {
  table: number;
  listeners: Set<FeedListener>;
  changes: AsyncIterableIterator<string>;
}

const NO_ROWS: ReadonlyMap<string, string> = new Map();

/**
 * A project's live tables, each followed once (one LISTEN topic) for all the subscribers of its instances, and its
 * live work's share of the project's pool.
 */
export class LiveFeeds {
  private readonly feeds = new Map<number, Feed>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly pool: ProjectPool,
    private readonly announcements: Announcements,
    /** How many of the pool's connections live work may hold at once. */
    private readonly connections: number,
  ) {}

  /** Starts telling `listener` of the table's changes; the returned function stops it. */
  join(table: number, listener: FeedListener): () => void {
    let feed = this.feeds.get(table);
    if (!feed) {
      const started: Feed = { table, listeners: new Set(), changes: this.announcements(`${TOPIC_PREFIX}${table}`) };
      this.feeds.set(table, started);
      void this.follow(started);
      feed = started;
    }
    const joined = feed;
    joined.listeners.add(listener);
    return () => {
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && this.feeds.get(table) === joined) {
        this.feeds.delete(table);
        void joined.changes.return?.();
      }
    };
  }

  /** Runs database work for live events within their share of the pool, in the order asked. */
  async limit<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.connections) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Changes one at a time, in order: each is asked about (once for all listeners) before the next. */
  private async follow(feed: Feed): Promise<void> {
    try {
      for await (const change of feed.changes) {
        const listeners = [...feed.listeners];
        const event = liveEvent(change);
        if (listeners.length === 0 || !event) continue;
        try {
          if (event.op === 'DELETE') {
            for (const listener of listeners) listener.hear(event, null, NO_ROWS);
            continue;
          }
          const asked = listeners.map((listener) => listener.ask());
          // Each distinct (role, claims) once, grouped by role: the function switches role only when it changes.
          const byRole = new Map<string, Map<string, number>>();
          for (const callers of asked) {
            for (const { role, claims } of callers) {
              let ofRole = byRole.get(role);
              if (!ofRole) byRole.set(role, (ofRole = new Map()));
              ofRole.set(claims, 0);
            }
          }
          const roles: string[] = [];
          const claims: string[] = [];
          for (const [role, ofRole] of byRole) {
            for (const each of ofRole.keys()) {
              ofRole.set(each, roles.length);
              roles.push(role);
              claims.push(each);
            }
          }
          if (roles.length === 0) continue;
          const answer = await this.question(feed.table, event.key, roles, claims);
          const rows = new Map<string, string>();
          answer.records.forEach((record, i) => record !== null && !rows.has(roles[i]) && rows.set(roles[i], record));
          listeners.forEach((listener, j) =>
            listener.hear(
              event,
              asked[j].map(({ role, claims: each }) => answer.visible[byRole.get(role)!.get(each)!]),
              rows,
            ),
          );
        } catch (error) {
          for (const listener of listeners) listener.fail(error);
        }
      }
    } catch (error) {
      for (const listener of feed.listeners) listener.fail(error);
    }
  }

  private question(
    table: number,
    key: LiveEvent['key'],
    roles: string[],
    claims: string[],
  ): Promise<{ visible: boolean[]; records: Array<string | null> }> {
    return this.limit(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        // One snapshot for every answer; the role and claims switched to inside are undone by the rollback.
        await client.query(`begin isolation level repeatable read; set local statement_timeout = '${LIMITS.statementTimeout}'`);
        const { rows } = await client.query<{ visible: boolean[]; records: Array<string | null> }>(
          'select visible, records from canopy.live_rows($1::oid::regclass, $2, $3, $4)',
          [table, JSON.stringify(key), roles, claims],
        );
        return rows[0];
      } finally {
        await client.query('rollback').catch((error: Error) => (broken = error));
        // A connection that cannot even roll back is closed, not returned.
        client.release(broken);
      }
    });
  }
}

/* ------------------------------------------------------------------ hubs: one execution per shared payload */

type Subscribe = () => unknown;
/** What the middleware reads of grafast's execution arguments (and replaces: the context, for a hub). */
interface SubscribeArgs {
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: unknown;
  contextValue?: unknown;
}
type Payload = ExecutionResult;

/** Payloads a subscriber may have waiting (its socket slower than the changes) before it is dropped. */
const MAX_WAITING = 1000;
/** setTimeout's limit: tokens that live longer are checked at each event only. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const expired = () => new CanopyError('JWT_EXPIRED', 'The JWT has expired', 401);

/** How an operation may be shared: its live field, and whether its payload could depend on the caller's claims. */
interface Shape {
  field: LiveField;
  readsClaims: boolean;
  /** False for directives other than @include and @skip (@defer, @stream): executed for this subscriber alone. */
  shareable: boolean;
}

export interface LiveFanoutOptions {
  feeds: LiveFeeds;
  fields: LiveFields;
  /** Why the project no longer serves subscribers (paused, deleted, JWT secret rotated), if it does not. */
  refusal(): Promise<CanopyError | undefined>;
}

/**
 * A project instance's live subscriptions, through grafast's `subscribe` middleware: each subscriber joins the hub of
 * its operation's payload, which runs the one execution they share.
 */
export class LiveFanout {
  private readonly hubs = new Map<string, LiveHub>();
  private readonly printed = new WeakMap<DocumentNode, string>();
  private unshared = 0;

  constructor(readonly options: LiveFanoutOptions) {}

  plugin(): GraphileConfig.Plugin {
    return {
      name: 'CanopyLiveFanoutPlugin',
      version: '0.0.0',
      grafast: {
        middleware: {
          subscribe: (next, event) => this.subscribe(next, event.args as SubscribeArgs) as never,
        },
      },
    };
  }

  /** The instance is being let go: its hubs go on (DDL, or the cache's room) unless the project no longer serves. */
  async release(): Promise<void> {
    const refusal = await this.options.refusal();
    if (refusal) for (const hub of [...this.hubs.values()]) hub.end(refusal);
  }

  forget(hub: LiveHub): void {
    if (this.hubs.get(hub.key) === hub) this.hubs.delete(hub.key);
  }

  private async subscribe(next: Subscribe, args: SubscribeArgs): Promise<unknown> {
    const contextValue = args.contextValue as Partial<Grafast.Context>;
    const caller = contextValue.canopyLiveCaller;
    const shape = caller ? this.shapeOf(args) : undefined;
    if (!caller || !shape) return next();
    const claims = JSON.stringify(caller.claims);
    const key = [
      shape.shareable ? '' : `unshared ${++this.unshared}`,
      caller.databaseRole,
      shape.readsClaims ? claims : '',
      args.operationName ?? '',
      JSON.stringify(args.variableValues ?? {}),
      this.print(args.document),
    ].join('\u0000');
    for (;;) {
      let hub = this.hubs.get(key);
      const started = !hub;
      if (!hub) {
        hub = new LiveHub(this, key, caller.databaseRole, shape.shareable);
        this.hubs.set(key, hub);
        hub.start(next, args);
      }
      const refused = await hub.ready;
      if (refused) return refused;
      // A hub whose members all left while this one waited for it to start has ended: start another.
      if (started || !hub.endedQuietly) return hub.join({ role: caller.databaseRole, claims }, caller.claims.exp);
    }
  }

  private print(document: DocumentNode): string {
    let text = this.printed.get(document);
    if (text === undefined) this.printed.set(document, (text = print(document)));
    return text;
  }

  /**
   * A subscription to a live field, and whether its payload could depend on claims: it does unless it selects only
   * `op`, `__typename` and the row's own columns of plain values (with no arguments). Those come from the record
   * read under a role that may see the row, so they are the same for every subscriber of that role who may see it.
   */
  private shapeOf(args: SubscribeArgs): Shape | undefined {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation || operation.operation !== 'subscription') return undefined;
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of args.document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    let shareable = !operation.directives?.length;
    const fieldsOf = (set: SelectionSetNode | undefined, found: FieldNode[] = [], seen = new Set<string>()) => {
      for (const selection of set?.selections ?? []) {
        if (selection.directives?.some((directive) => !['include', 'skip'].includes(directive.name.value))) shareable = false;
        if (selection.kind === Kind.FIELD) found.push(selection);
        else if (selection.kind === Kind.INLINE_FRAGMENT) fieldsOf(selection.selectionSet, found, seen);
        else if (!seen.has(selection.name.value)) {
          seen.add(selection.name.value);
          const fragment = fragments.get(selection.name.value);
          if (fragment?.directives?.length) shareable = false;
          fieldsOf(fragment?.selectionSet, found, seen);
        }
      }
      return found;
    };
    const roots = fieldsOf(operation.selectionSet).filter((field) => field.name.value !== '__typename');
    const field = roots.length === 1 ? this.options.fields.get(roots[0].name.value) : undefined;
    if (!field) return undefined;
    let readsClaims = !!roots[0].arguments?.length;
    for (const change of fieldsOf(roots[0].selectionSet)) {
      const name = change.name.value;
      if (name === '__typename' || name === 'op') continue;
      if (name !== field.rowField || change.arguments?.length) {
        readsClaims = true;
        continue;
      }
      for (const column of fieldsOf(change.selectionSet)) {
        if (column.name.value === '__typename') continue;
        if (!field.columns.has(column.name.value) || column.arguments?.length || column.selectionSet) readsClaims = true;
      }
    }
    return { field, readsClaims, shareable };
  }
}

/**
 * The subscribers of one payload: one grafast execution, whose events are the changes one of them may see (with the
 * row), and whose payloads go to those who may see each.
 */
class LiveHub implements FeedListener {
  private readonly members = new Set<LiveMember>();
  /** Members as last asked about, in the order of the feed's answer. */
  private asked: LiveMember[] = [];
  /** Heard, not yet taken by the execution. */
  private readonly heard: Array<{ event: LiveEvent & { record: string | null }; recipients: LiveMember[] }> = [];
  /** Taken by the execution, payload not yet out: whom each goes to, oldest first. */
  private readonly executing: LiveMember[][] = [];
  private wake?: () => void;
  private leaveFeed?: () => void;
  private execution?: AsyncIterator<Payload>;
  private closed = false;
  /** Why it ended, if with an error: told to whoever still joins. */
  private failure?: { error: unknown };
  /** Settles once the execution started: with the result that refused it (errors), if it did. */
  ready: Promise<Payload | undefined> = Promise.resolve(undefined);

  constructor(
    private readonly fanout: LiveFanout,
    readonly key: string,
    private readonly role: string,
    private readonly shared: boolean,
  ) {}

  start(next: Subscribe, args: SubscribeArgs): void {
    const contextValue = args.contextValue as Grafast.Context;
    const { feeds } = this.fanout.options;
    const withPgClient = contextValue.withPgClient;
    // The execution's own context: this hub's events, and its queries within live work's share of the pool.
    args.contextValue = {
      ...contextValue,
      canopyLiveChanges: { subscribe: (topic: string) => this.events(topic) },
      ...(withPgClient && {
        withPgClient: ((settings, callback) => feeds.limit(() => withPgClient(settings, callback))) as typeof withPgClient,
      }),
    };
    this.ready = (async () => {
      try {
        const result = (await next()) as Payload | AsyncIterable<Payload>;
        if (Symbol.asyncIterator in result) {
          this.execution = result[Symbol.asyncIterator]();
          void this.pump();
          return undefined;
        }
        this.end();
        return result;
      } catch (error) {
        this.end();
        throw error;
      }
    })();
  }

  get endedQuietly(): boolean {
    return this.closed && !this.failure;
  }

  join(caller: LiveCaller, exp: number | undefined): AsyncIterableIterator<Payload> {
    const member = new LiveMember(this, caller, exp === undefined ? Infinity : exp * 1000);
    if (!this.closed) this.members.add(member);
    else if (this.failure) member.fail(this.failure.error);
    else member.complete();
    return member;
  }

  leave(member: LiveMember): void {
    this.members.delete(member);
    if (this.members.size === 0) this.end();
  }

  ask(): readonly LiveCaller[] {
    this.asked = [...this.members];
    return this.asked.map((member) => member.caller);
  }

  hear(event: LiveEvent, visible: readonly boolean[] | null, rows: ReadonlyMap<string, string>): void {
    const now = Date.now();
    const members = visible ? this.asked : [...this.members];
    const recipients = members.filter((member, i) => (!visible || visible[i]) && member.current(now));
    if (recipients.length === 0 || this.closed) return;
    if (this.heard.length >= MAX_WAITING) {
      this.end(new CanopyError('LIVE_BEHIND', 'Changes came faster than this subscription could follow', 503));
      return;
    }
    this.heard.push({ event: { ...event, record: event.op === 'DELETE' ? null : (rows.get(this.role) ?? null) }, recipients });
    this.wake?.();
  }

  fail(error: unknown): void {
    this.end(error);
  }

  /** Ends every member: with `error`, or as completed. */
  end(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (error !== undefined) this.failure = { error };
    this.fanout.forget(this);
    this.leaveFeed?.();
    this.wake?.();
    void this.execution?.return?.();
    for (const member of [...this.members]) {
      if (error === undefined) member.complete();
      else member.fail(error);
    }
    this.members.clear();
  }

  /** The execution's source (`canopyLiveChanges`): the changes someone here may see, each with its row. */
  private events(topic: string): AsyncIterableIterator<unknown> {
    this.leaveFeed ??= this.fanout.options.feeds.join(Number(String(topic).slice(TOPIC_PREFIX.length)), this);
    const done = { done: true, value: undefined } as const;
    const iterator: AsyncIterableIterator<unknown> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        for (;;) {
          if (this.closed) return done;
          const heard = this.heard.shift();
          if (!heard) {
            await new Promise<void>((resolve) => (this.wake = resolve));
            continue;
          }
          const refusal = await this.fanout.options.refusal();
          if (refusal) {
            this.end(refusal);
            return done;
          }
          const recipients = heard.recipients.filter((member) => !member.closed);
          if (recipients.length === 0) continue;
          if (this.shared) this.executing.push(recipients);
          return { done: false, value: heard.event };
        }
      },
      return: async () => {
        this.end();
        return done;
      },
    };
    return iterator;
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await this.execution!.next();
        if (done) break;
        // One payload per event, in order; an unshared hub's payloads (with @defer, several) all go to its member.
        const recipients = this.shared ? (this.executing.shift() ?? []) : [...this.members];
        for (const member of recipients) member.push(value);
      }
      this.end();
    } catch (error) {
      this.end(error);
    }
  }
}

/** One subscriber of a hub, as graphql-ws iterates it. */
class LiveMember implements AsyncIterableIterator<Payload> {
  closed = false;
  private readonly waiting: Payload[] = [];
  private failure?: { error: unknown };
  private pending?: { resolve: (result: IteratorResult<Payload>) => void; reject: (error: unknown) => void };
  private readonly timer?: NodeJS.Timeout;

  constructor(
    private readonly hub: LiveHub,
    readonly caller: LiveCaller,
    private readonly expiresAt: number,
  ) {
    const left = expiresAt - Date.now();
    if (left < MAX_TIMER_MS) this.timer = setTimeout(() => this.fail(expired()), Math.max(0, left)).unref();
  }

  /** Whether it still receives at `now`: an expired token ends it. */
  current(now: number): boolean {
    if (this.closed) return false;
    if (now < this.expiresAt) return true;
    this.fail(expired());
    return false;
  }

  push(payload: Payload): void {
    if (this.closed) return;
    if (this.pending) {
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve({ done: false, value: payload });
    } else if (this.waiting.length >= MAX_WAITING) {
      this.fail(new CanopyError('LIVE_BEHIND', 'Changes came faster than this subscriber could receive them', 503));
    } else {
      this.waiting.push(payload);
    }
  }

  /** Ends with an error (after what is already waiting). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    this.close();
    if (this.pending) {
      const { reject } = this.pending;
      this.pending = undefined;
      this.failure = undefined;
      reject(error);
    }
  }

  complete(): void {
    if (this.closed) return;
    this.close();
    this.pending?.resolve({ done: true, value: undefined });
    this.pending = undefined;
  }

  next(): Promise<IteratorResult<Payload>> {
    const value = this.waiting.shift();
    if (value) return Promise.resolve({ done: false, value });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  /** The client stopped (complete message, or the socket closed). */
  return(): Promise<IteratorResult<Payload>> {
    this.waiting.length = 0;
    this.failure = undefined;
    this.complete();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(): Promise<IteratorResult<Payload>> {
    return this.return();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Payload> {
    return this;
  }

  private close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.hub.leave(this);
  }
}

declare global {
  namespace Grafast {
    interface Context {
      /** For WebSocket operations: who subscribes (live.ts puts it in a hub). */
      canopyLiveCaller: ProjectCaller | null;
      /** Set by a hub on its execution's context: the changes its subscribers may see. */
      canopyLiveChanges: GrafastSubscriber<Record<string, unknown>> | null;
    }
  }
}
