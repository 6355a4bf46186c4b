/** A project's end users: search by email, a page at a time, add and delete (owners, administrators, developers). */
import { createMutation } from '@urql/solid';
import { createSignal, For, onCleanup, Show } from 'solid-js';
import { errorMessage } from '../../../graphql/client.ts';
import { createLiveQuery, refreshLiveQueries } from '../../../graphql/live.ts';
import { canWrite } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { ConfirmDialog } from '../../../ui/dialog.tsx';
import { Field } from '../../../ui/field.tsx';
import { formatDate, Section } from '../../../ui/misc.tsx';
import { Empty, QueryState } from '../../../ui/states.tsx';
import { AddUserDialog } from './add-user.tsx';

const USERS = `query ProjectUsers($projectId: UUID!, $search: String, $first: Int, $offset: Int) {
  projectUsers(projectId: $projectId, search: $search, first: $first, offset: $offset) {
    totalCount
    nodes { id email createdAt lastSignInAt emailConfirmedAt }
  }
}`;
const DELETE_USER = `mutation DeleteProjectUser($projectId: UUID!, $userId: UUID!) { deleteProjectUser(projectId: $projectId, userId: $userId) }`;

const PAGE = 25;

interface ProjectUser {
  id: string;
  email: string;
  createdAt: string;
  lastSignInAt: string | null;
  emailConfirmedAt: string | null;
}

interface UsersData {
  projectUsers: { totalCount: number; nodes: ProjectUser[] } | null;
}

export function UsersSection(props: { minPasswordLength?: number }) {
  const { project, role } = useProject();
  const [typed, setTyped] = createSignal('');
  const [search, setSearch] = createSignal('');
  const [offset, setOffset] = createSignal(0);
  const [adding, setAdding] = createSignal(false);
  const [deleting, setDeleting] = createSignal<ProjectUser>();
  const [, remove] = createMutation(DELETE_USER);
  const [result, refetch] = createLiveQuery<UsersData>({
    query: USERS,
    variables: () => ({ projectId: project().id, search: search(), first: PAGE, offset: offset() }),
  });

  // The query follows the search box a moment after typing stops.
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  const onSearch = (value: string) => {
    setTyped(value);
    clearTimeout(timer);
    timer = setTimeout(() => {
      setOffset(0);
      setSearch(value.trim());
    }, 250);
  };

  const total = () => result.data?.projectUsers?.totalCount ?? 0;
  const onDelete = async () => {
    const user = deleting()!;
    const answer = await remove({ projectId: project().id, userId: user.id });
    if (answer.error) return errorMessage(answer.error);
    // The page may now be past the end.
    if (offset() > 0 && offset() >= total() - 1) setOffset(Math.max(0, offset() - PAGE));
    refreshLiveQueries();
    return undefined;
  };

  return (
    <Section
      title="Users"
      description="The people who sign in to this project's apps."
      actions={
        <Button variant="primary" onClick={() => setAdding(true)} disabled={!canWrite(role())}>
          Add user
        </Button>
      }
    >
      <Show when={!canWrite(role())}>
        <p class="muted" style={{ 'margin-bottom': '12px' }}>Your role can see the users; developers and above add and delete them.</p>
      </Show>
      <div class="toolbar">
        <Field label="Search by email" type="search" value={typed()} onValue={onSearch} placeholder="Part of an address" style={{ 'min-width': '260px' }} />
      </div>
      <QueryState
        result={result}
        retry={() => refetch({ requestPolicy: 'network-only' })}
        empty={(data) => !data.projectUsers || data.projectUsers.nodes.length === 0}
        whenEmpty={
          <Show
            when={search()}
            fallback={
              <Empty title="No users yet">
                <p class="muted">Users appear here when they sign up through the project's auth API, or when you add one.</p>
              </Empty>
            }
          >
            <Empty title="No matching users">
              <p class="muted">No user's email contains “{search()}”.</p>
            </Empty>
          </Show>
        }
      >
        {(data) => (
          <>
            <div class="table-wrap table-contain">
              <table class="table table-middle" aria-label="Users">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last sign-in</th>
                    <th scope="col">Confirmed</th>
                    <th scope="col"><span class="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  <For each={data().projectUsers!.nodes}>
                    {(user) => (
                      <tr>
                        <td>{user.email}</td>
                        <td>{formatDate(user.createdAt)}</td>
                        <td>{user.lastSignInAt ? formatDate(user.lastSignInAt) : 'Never'}</td>
                        <td>{user.emailConfirmedAt ? formatDate(user.emailConfirmedAt) : 'Not yet'}</td>
                        <td class="actions">
                          <Show when={canWrite(role())}>
                            <Button variant="ghost" onClick={() => setDeleting(user)} aria-label={`Delete ${user.email}`}>
                              Delete
                            </Button>
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Pages of users">
              <span class="muted">
                {offset() + 1}–{offset() + data().projectUsers!.nodes.length} of {data().projectUsers!.totalCount}
              </span>
              <div class="row">
                <Button onClick={() => setOffset(Math.max(0, offset() - PAGE))} disabled={offset() === 0}>Previous</Button>
                <Button onClick={() => setOffset(offset() + PAGE)} disabled={offset() + PAGE >= data().projectUsers!.totalCount}>
                  Next
                </Button>
              </div>
            </nav>
          </>
        )}
      </QueryState>
      <AddUserDialog open={adding()} projectId={project().id} minPasswordLength={props.minPasswordLength} onClose={() => setAdding(false)} />
      <ConfirmDialog
        open={!!deleting()}
        title="Delete this user?"
        action="Delete user"
        onConfirm={onDelete}
        onClose={() => setDeleting(undefined)}
      >
        <p>
          <strong>{deleting()?.email}</strong> and their sessions are deleted: they are signed out everywhere, and
          cannot sign in again unless they sign up anew.
        </p>
      </ConfirmDialog>
    </Section>
  );
}
