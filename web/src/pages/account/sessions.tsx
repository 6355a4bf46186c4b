/** Where the account is signed in: each browser or script session, and ending one. */
import { createMutation } from '@urql/solid';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { errorMessage } from '../../graphql/client.ts';
import { refreshLiveQueries } from '../../graphql/live.ts';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import { Badge, formatDate, Section } from '../../ui/misc.tsx';
import { Empty } from '../../ui/states.tsx';
import { isPast, type AccountSession } from './data.ts';

const DELETE_SESSION = `mutation DeleteSession($id: UUID!) { deleteSession(input: { id: $id }) { session { id } } }`;

export function SessionsSection(props: { sessions: AccountSession[] }) {
  const sorted = createMemo(() => [...props.sessions].sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt)));
  // The API does not say which session a request used; one session with this very user agent is most likely it.
  const likelyMine = createMemo(() => {
    const same = props.sessions.filter((s) => s.userAgent === navigator.userAgent && !isPast(s.expiresAt));
    return same.length === 1 ? same[0]!.id : undefined;
  });
  return (
    <Section title="Sessions" description="Browsers and scripts signed in to your account. Ending one signs it out at once.">
      <Show when={sorted().length > 0} fallback={<Empty title="No sessions" />}>
        <div class="table-wrap fit-width">
          <table class="table">
            <caption class="visually-hidden">Sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col" class="wide-only">IP address</th>
                <th scope="col" class="wide-only">Signed in</th>
                <th scope="col" class="wide-only">Last used</th>
                <th scope="col" class="wide-only">Expires</th>
                <th scope="col" class="wide-only"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={sorted()}>{(session) => <SessionRow session={session} likelyMine={session.id === likelyMine()} />}</For>
            </tbody>
          </table>
        </div>
      </Show>
    </Section>
  );
}

function SessionRow(props: { session: AccountSession; likelyMine: boolean }) {
  const [confirming, setConfirming] = createSignal(false);
  const [, end] = createMutation(DELETE_SESSION);
  const account = useSession();
  const device = () => describeUserAgent(props.session.userAgent);

  const onEnd = async () => {
    const result = await end({ id: props.session.id });
    if (result.error) return errorMessage(result.error);
    refreshLiveQueries();
    // Ending this browser's own session signs it out: the router then sends it to sign in.
    await account.reload();
  };

  const endButton = () => (
    <Button
      variant="ghost"
      class="danger-text"
      onClick={() => setConfirming(true)}
      aria-label={`End session: ${device()}, last used ${formatDate(props.session.lastUsedAt)}`}
    >
      End session
    </Button>
  );

  return (
    <tr>
      <td>
        <div class="row account-device">
          <span title={props.session.userAgent ?? undefined}>{device()}</span>
          <Show when={props.likelyMine}>
            <span class="badge badge-good" title="Its user agent is this browser’s; the API does not say which session is the current one">
              this browser
            </span>
          </Show>
        </div>
        {/* On a phone the other columns fold in here; CSS shows this copy or the columns. */}
        <div class="narrow-only">
          <span class="muted account-detail">
            {props.session.ip ?? 'Unknown address'} · last used {formatDate(props.session.lastUsedAt)}
            {isPast(props.session.expiresAt) ? ' · expired' : ''}
          </span>
          {endButton()}
        </div>
        <ConfirmDialog
          open={confirming()}
          title="End this session?"
          action="End session"
          onConfirm={onEnd}
          onClose={() => setConfirming(false)}
        >
          <p>
            {device()}
            {props.session.ip ? ` at ${props.session.ip}` : ''} is signed out at once.
            {props.likelyMine ? ' This looks like the browser you are using: you will be signed out here too.' : ''}
          </p>
        </ConfirmDialog>
      </td>
      <td class="wide-only">{props.session.ip ?? '—'}</td>
      <td class="wide-only">{formatDate(props.session.createdAt)}</td>
      <td class="wide-only">{formatDate(props.session.lastUsedAt)}</td>
      <td class="wide-only">
        <Show when={isPast(props.session.expiresAt)} fallback={formatDate(props.session.expiresAt)}>
          <Badge status="expired" />
        </Show>
      </td>
      <td class="actions wide-only">{endButton()}</td>
    </tr>
  );
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/HeadlessChrome\//, 'Headless Chrome'],
  [/Chrome\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Mac OS X/, 'macOS'],
  [/Windows/, 'Windows'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** "Firefox on macOS" from a user agent; scripts name themselves ("curl/8.5.0", "node"). */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.split(' ')[0]!.slice(0, 40);
  return system ? `${browser} on ${system}` : browser;
}
