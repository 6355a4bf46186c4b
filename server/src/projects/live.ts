/**
 * Subscriptions to the row changes of a project's live tables (canopy.enable_live): for a table whose GraphQL type
 * is `Todo`, `subscription { todoChanged { op todo { … } } }`. An event carries the operation and the primary key;
 * the row is read again as the subscriber, so RLS decides what each one sees (`todo` is null when the subscriber may
 * not see the row, or it was deleted).
 */
import type pg from 'pg';
import { jsonParse } from 'postgraphile/@dataplan/json';
import { access, context, listen, type Step } from 'postgraphile/grafast';
import { extendSchema } from 'postgraphile/utils';

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
        subscribePlan: () => listen(context().get('pgSubscriber'), `canopy:live:${table.oid}`, jsonParse),
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
