/**
 * The table editor (/project/:ref/tables/:table): the tables of the project's schema beside the selected one's rows.
 * Everything is read and written with SQL run as the project's owner (runProjectSql), so only members who may write
 * the project's data (owners, administrators, developers) can open it.
 */
import { useNavigate, useParams } from '@solidjs/router';
import { createMemo, createSignal, Show } from 'solid-js';
import { canWrite } from '../../layout/organization.tsx';
import { useProject } from '../../layout/project.tsx';
import { PageHeader } from '../../ui/misc.tsx';
import { Empty, ErrorState, Loading } from '../../ui/states.tsx';
import { onDatabaseChange } from './database/changes.ts';
import { createLoader } from './database/loader.ts';
import { forbiddenFor, useSqlRunner } from './database/runner.ts';
import { projectSchema } from './database/sql.ts';
import { parseTables, TABLES_SQL } from './tables/catalog.ts';
import { NewTableDialog } from './tables/new-table-dialog.tsx';
import { RowsView } from './tables/rows-view.tsx';
import { tableHref, TableList } from './tables/table-list.tsx';
import './database/database.css';

export function TableEditor() {
  const { project, role } = useProject();
  const ref = createMemo(() => project().ref);
  return (
    <>
      <PageHeader title="Table editor" description={`The tables of this project's schema, ${projectSchema(ref())}, and their rows.`} />
      <Show
        when={canWrite(role())}
        fallback={
          <Empty title="You cannot open the project's tables">
            <p class="muted">
              {forbiddenFor(role())} The table editor reads and writes with SQL as the project's owner. Ask an owner or administrator of the
              organization for another role.
            </p>
          </Empty>
        }
      >
        <Show when={ref()} keyed>
          {(current) => <Tables projectRef={current} />}
        </Show>
      </Show>
    </>
  );
}

/** A path segment as typed (the router gives it still encoded). */
function decoded(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    return segment ?? '';
  }
}

function Tables(props: { projectRef: string }) {
  const params = useParams();
  const navigate = useNavigate();
  const runner = useSqlRunner();
  const schema = projectSchema(props.projectRef);
  const [revision, setRevision] = createSignal(0);
  const [creating, setCreating] = createSignal(false);
  onDatabaseChange(() => setRevision((n) => n + 1));

  const tables = createLoader(
    () => String(revision()),
    async () => parseTables(await runner.one(TABLES_SQL, [schema])),
  );
  const selectedName = createMemo(() => decoded(params.table));
  const selected = createMemo(() => tables.state().data?.find((table) => table.name === selectedName()));
  const names = () => tables.state().data?.map((table) => table.name) ?? [];

  const created = async (name: string) => {
    await tables.reload();
    navigate(tableHref(props.projectRef, name));
  };

  return (
    <Show
      when={tables.state().data}
      fallback={
        <Show when={tables.state().error} fallback={<Loading label="Loading tables…" />}>
          <ErrorState message={tables.state().error!} onRetry={() => void tables.reload()} />
        </Show>
      }
    >
      {(list) => (
        <div class="tables-layout">
          <TableList projectRef={props.projectRef} tables={list()} selected={selectedName()} canCreate onNew={() => setCreating(true)} />
          {/* A fresh view (sort, filter, page) per table, kept while the list reloads. */}
          <Show
            when={selected()?.name}
            keyed
            fallback={
              <Show
                when={selectedName()}
                fallback={
                  <Empty title={list().length > 0 ? 'Choose a table' : 'No tables yet'}>
                    <p class="muted">
                      {list().length > 0
                        ? 'Pick a table from the list to see its rows, or create a new one.'
                        : 'Create the first table of this project with New table, or write create table in the SQL editor.'}
                    </p>
                  </Empty>
                }
              >
                <Empty title={`No table called ${selectedName()}`}>
                  <p class="muted">It may have been renamed or dropped. Choose another from the list.</p>
                </Empty>
              </Show>
            }
          >
            {(name) => <RowsView schema={schema} table={selected() ?? { name, rls: true }} canWrite revision={revision()} />}
          </Show>
          <NewTableDialog open={creating()} existing={names()} onClose={() => setCreating(false)} onCreated={(name) => void created(name)} />
        </div>
      )}
    </Show>
  );
}
