/**
 * Subscriptions to the row changes of a project's live tables (canopy.enable_live): for a table whose GraphQL type
 * is `Todo`, `subscription { todoChanged { op todo { … } } }`. An event carries the operation and the primary key;
 * the row is read again as the subscriber, so RLS decides what each one sees (`todo` is null when the subscriber may
 * not see the row, or it was deleted).
 */
import type pg from 'pg';
import { jsonParse } from 'postgraphile/@dataplan/json';
import type { PgSubscriber } from 'postgraphile/adaptors/pg';
import { access, context, type GrafastSubscriber, listen, type Step } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';
import type { ProjectCaller } from './callers.ts';

export interface LiveTable {
  oid: number;
  tableName: string;
  keyColumns: string[];
}

/** The live tables of a schema that still exist. */
export async function liveTables(pool: pg.Pool, schema: string): Promise<LiveTable[]> {
  const { rows } = await pool.query<LiveTable>(
    `select l.table_oid::int as oid, l.table_name as "tableName", l.key_columns as "keyColumns"
     from canopy.live_tables l join pg_class c on c.oid = l.table_oid
     where l.schema_name = $1 order by l.table_name`,
    [schema],
  );
  return rows;
}

export function LiveTablesPlugin(schema: string, tables: LiveTable[]): GraphileConfig.Plugin {
  return extendSchema((build) => {
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
      subscriptionPlans[`${rowField}Changed`] = {
        // Through the subscription's own filter (see visibleChanges), not the organization's raw subscriber.
        subscribePlan: () => listen(context().get('canopyLiveChanges'), `canopy:live:${table.oid}`, jsonParse),
        plan: ($event: Step) => $event,
      };
      objects[changeType] = {
        plans: {
          op: ($event: Step) => access($event, 'op'),
          [rowField]: ($event: Step) =>
            resource.get(
              Object.fromEntries(table.keyColumns.map((column) => [column, access($event, ['key', column])])),
            ),
        },
      };
    }
    return { typeDefs: typeDefs.join('\n'), objects: { ...objects, Subscription: { plans: subscriptionPlans } } } as never;
  });
}

/**
 * Who may see a changed row, asked once per change for every subscriber to it: the subscribers of one change hear
 * of it in the same tick, their questions are gathered, and one call to canopy.visible_to answers them all (it
 * switches to each subscriber's role and claims in turn, inside Postgres). Only those who may see the row get the
 * event, and only they read the row again for their query.
 */
export class LiveVisibility {
  private readonly batches = new Map<
    string,
    { table: number; key: unknown; waiting: Array<{ caller: ProjectCaller; answer: (visible: boolean) => void; fail: (error: unknown) => void }> }
  >();

  constructor(private readonly pool: pg.Pool) {}

  visible(table: number, change: string, caller: ProjectCaller): Promise<boolean> {
    const event = JSON.parse(change) as { op: string; key: unknown };
    // A deleted row cannot be read again: its key goes to every subscriber, as Supabase's realtime does.
    if (event.op === 'DELETE') return Promise.resolve(true);
    const batchKey = `${table}:${change}`;
    let batch = this.batches.get(batchKey);
    if (!batch) {
      batch = { table, key: event.key, waiting: [] };
      this.batches.set(batchKey, batch);
      setImmediate(() => void this.ask(batchKey));
    }
    const { waiting } = batch;
    return new Promise((answer, fail) => waiting.push({ caller, answer, fail }));
  }

  private async ask(batchKey: string): Promise<void> {
    const batch = this.batches.get(batchKey)!;
    this.batches.delete(batchKey);
    const subscribers = batch.waiting.map(({ caller }) => ({
      role: caller.databaseRole,
      claims: JSON.stringify(caller.claims),
    }));
    try {
      const client = await this.pool.connect();
      try {
        // In a transaction that is rolled back: the role switches inside stay inside.
        await client.query('begin');
        const { rows } = await client.query<{ answers: boolean[] }>(
          'select canopy.visible_to($1::oid::regclass, $2, $3) as answers',
          [batch.table, JSON.stringify(batch.key), JSON.stringify(subscribers)],
        );
        batch.waiting.forEach(({ answer }, i) => answer(rows[0].answers[i]));
      } finally {
        await client.query('rollback').catch(() => {});
        client.release();
      }
    } catch (error) {
      for (const { fail } of batch.waiting) fail(error);
    }
  }
}

/** The organization's subscriber, seen by one subscription: only the changes its caller may see. */
export function visibleChanges(
  subscriber: PgSubscriber,
  visibility: LiveVisibility,
  caller: ProjectCaller,
): GrafastSubscriber<Record<string, string>> {
  return {
    subscribe(topic) {
      const table = Number(String(topic).slice('canopy:live:'.length));
      const changes = subscriber.subscribe(topic);
      return (async function* () {
        for await (const change of changes) if (await visibility.visible(table, change, caller)) yield change;
      })();
    },
  };
}

declare global {
  namespace Grafast {
    interface Context {
      /** For WebSocket operations: the organization's subscriber, filtered for this caller. */
      canopyLiveChanges: GrafastSubscriber<Record<string, string>> | null;
    }
  }
}
