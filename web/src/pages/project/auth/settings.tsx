/**
 * A project's auth settings (`projectAuthSettings`): sign-ups, email confirmation, token lifetime, password length,
 * and where mailed links may lead. Every member sees them; developers and above change them. The form keeps what
 * was typed while the settings are re-fetched; a change by someone else replaces it only while nothing was typed.
 */
import { createMutation } from '@urql/solid';
import { createEffect, createSignal, on, Show } from 'solid-js';
import { errorCode, errorMessage } from '../../../graphql/client.ts';
import { refreshLiveQueries } from '../../../graphql/live.ts';
import { canWrite } from '../../../layout/organization.tsx';
import { useProject } from '../../../layout/project.tsx';
import { Button } from '../../../ui/button.tsx';
import { Checkbox, Field, FormError, TextArea } from '../../../ui/field.tsx';
import { Section } from '../../../ui/misc.tsx';

export interface AuthSettings {
  enableSignup: boolean;
  confirmEmail: boolean;
  accessTokenTtl: number;
  minPasswordLength: number;
  redirectUrls: string[];
  siteUrl: string | null;
}

export const AUTH_SETTINGS_FIELDS = 'enableSignup confirmEmail accessTokenTtl minPasswordLength redirectUrls siteUrl';

const UPDATE = `mutation UpdateAuthSettings($projectId: UUID!, $patch: ProjectAuthSettingsPatch!) {
  updateProjectAuthSettings(projectId: $projectId, patch: $patch) { ${AUTH_SETTINGS_FIELDS} }
}`;

/** The form's text, as typed. */
interface Draft {
  enableSignup: boolean;
  confirmEmail: boolean;
  accessTokenTtl: string;
  minPasswordLength: string;
  siteUrl: string;
  redirectUrls: string;
}

type FieldName = 'accessTokenTtl' | 'minPasswordLength' | 'siteUrl' | 'redirectUrls';
type Errors = Partial<Record<FieldName | 'form', string>>;

const draftOf = (settings: AuthSettings): Draft => ({
  enableSignup: settings.enableSignup,
  confirmEmail: settings.confirmEmail,
  accessTokenTtl: String(settings.accessTokenTtl),
  minPasswordLength: String(settings.minPasswordLength),
  siteUrl: settings.siteUrl ?? '',
  redirectUrls: settings.redirectUrls.join('\n'),
});

const lines = (text: string) => [...new Set(text.split('\n').map((line) => line.trim()).filter(Boolean))];

/** An absolute http(s) URL; `*` may stand for parts of a redirect URL's path (the server checks the details). */
function isHttpUrl(value: string): boolean {
  const host = /^https?:\/\/([^/?#]*)/i.exec(value)?.[1];
  if (!host || host.includes('*')) return false;
  try {
    new URL(value.replace(/\*/g, 'x'));
    return true;
  } catch {
    return false;
  }
}

function wholeNumber(text: string, min: number, max: number, what: string): string | undefined {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) return `${what} is a whole number from ${min} to ${max.toLocaleString()}`;
  return undefined;
}

function validate(draft: Draft): Errors {
  const errors: Errors = {};
  errors.accessTokenTtl = wholeNumber(draft.accessTokenTtl, 60, 604_800, 'The lifetime');
  errors.minPasswordLength = wholeNumber(draft.minPasswordLength, 6, 72, 'The length');
  if (draft.siteUrl.trim() && !isHttpUrl(draft.siteUrl.trim())) errors.siteUrl = 'The site URL is an absolute http(s) URL, such as https://app.example.com';
  const urls = lines(draft.redirectUrls);
  const wrong = urls.find((url) => !isHttpUrl(url));
  if (wrong) errors.redirectUrls = `“${wrong}” is not an absolute http(s) URL (a * or ** may stand for parts of its path, not of its host)`;
  else if (urls.length > 100) errors.redirectUrls = 'At most 100 redirect URLs';
  return errors;
}

/** What changed, as the mutation's patch. */
function patchOf(draft: Draft, saved: AuthSettings): Partial<AuthSettings> {
  const patch: Partial<AuthSettings> = {};
  if (draft.enableSignup !== saved.enableSignup) patch.enableSignup = draft.enableSignup;
  if (draft.confirmEmail !== saved.confirmEmail) patch.confirmEmail = draft.confirmEmail;
  if (Number(draft.accessTokenTtl) !== saved.accessTokenTtl) patch.accessTokenTtl = Number(draft.accessTokenTtl);
  if (Number(draft.minPasswordLength) !== saved.minPasswordLength) patch.minPasswordLength = Number(draft.minPasswordLength);
  if ((draft.siteUrl.trim() || null) !== saved.siteUrl) patch.siteUrl = draft.siteUrl.trim() || null;
  const urls = lines(draft.redirectUrls);
  if (urls.join('\n') !== saved.redirectUrls.join('\n')) patch.redirectUrls = urls;
  return patch;
}

/** The server's INVALID_INPUT message names the field first ("accessTokenTtl must be …"). */
function fieldOfMessage(message: string): FieldName | undefined {
  return (['accessTokenTtl', 'minPasswordLength', 'siteUrl', 'redirectUrls'] as const).find((field) => message.startsWith(field));
}

/** "redirectUrls: … is not …" beside the Redirect URLs box reads as "… is not …". */
function besideField(field: FieldName, message: string): string {
  const rest = message.slice(field.length).replace(/^:?\s+/, '');
  return rest.startsWith('must') ? `It ${rest}` : rest.charAt(0).toUpperCase() + rest.slice(1);
}

export function SettingsSection(props: { settings: AuthSettings }) {
  const { project, role } = useProject();
  const [draft, setDraft] = createSignal<Draft>(draftOf(props.settings));
  const [dirty, setDirty] = createSignal(false);
  const [errors, setErrors] = createSignal<Errors>({});
  const [saved, setSaved] = createSignal(false);
  const [state, update] = createMutation(UPDATE);
  const editable = () => canWrite(role());

  createEffect(on(() => props.settings, (settings) => {
    if (!dirty()) setDraft(draftOf(settings));
  }, { defer: true }));

  const edit = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft({ ...draft(), [key]: value });
    setDirty(true);
    setSaved(false);
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const found = validate(draft());
    setErrors(found);
    if (Object.values(found).some(Boolean)) return;
    const patch = patchOf(draft(), props.settings);
    if (Object.keys(patch).length === 0) {
      setDirty(false);
      setSaved(true);
      return;
    }
    const result = await update({ projectId: project().id, patch });
    if (result.error) {
      const message = errorMessage(result.error)!;
      const field = errorCode(result.error) === 'INVALID_INPUT' ? fieldOfMessage(message) : undefined;
      setErrors(field ? { [field]: besideField(field, message) } : { form: message });
      return;
    }
    setDirty(false);
    setDraft(draftOf(result.data.updateProjectAuthSettings));
    setSaved(true);
    refreshLiveQueries();
  };

  const discard = () => {
    setDraft(draftOf(props.settings));
    setDirty(false);
    setErrors({});
  };

  return (
    <Section title="Auth settings" description="How users sign up and sign in through the project's auth API.">
      <Show when={!editable()}>
        <p class="muted" style={{ 'margin-bottom': '12px' }}>Your role can see these settings; developers and above change them.</p>
      </Show>
      <form onSubmit={submit} novalidate class="form-narrow">
        <fieldset class="plain-fieldset" disabled={!editable()}>
          <legend class="visually-hidden">Auth settings</legend>
          <Checkbox
            label="Allow new users to sign up"
            checked={draft().enableSignup}
            onChange={(checked) => edit('enableSignup', checked)}
            disabled={!editable()}
          />
          <Checkbox
            label="Users confirm their email before signing in"
            checked={draft().confirmEmail}
            onChange={(checked) => edit('confirmEmail', checked)}
            disabled={!editable()}
          />
          <div class="field-row">
            <Field
              label="Access token lifetime (seconds)"
              type="number"
              inputmode="numeric"
              min={60}
              max={604800}
              value={draft().accessTokenTtl}
              onValue={(value) => edit('accessTokenTtl', value)}
              error={errors().accessTokenTtl}
              hint="60 to 604,800 (a week)"
            />
            <Field
              label="Minimum password length"
              type="number"
              inputmode="numeric"
              min={6}
              max={72}
              value={draft().minPasswordLength}
              onValue={(value) => edit('minPasswordLength', value)}
              error={errors().minPasswordLength}
              hint="6 to 72 characters"
            />
          </div>
          <Field
            label="Site URL"
            type="url"
            value={draft().siteUrl}
            onValue={(value) => edit('siteUrl', value)}
            error={errors().siteUrl}
            placeholder="https://app.example.com"
            hint="Where mailed links lead when the app asks for no allowed redirect."
          />
          <TextArea
            label="Redirect URLs"
            rows={4}
            value={draft().redirectUrls}
            onValue={(value) => edit('redirectUrls', value)}
            error={errors().redirectUrls}
            placeholder={'https://app.example.com/welcome\nhttp://localhost:3000/**'}
            hint="One per line: where mailed links may send people back to. A * stands for part of a path segment, ** for any path."
          />
          <FormError message={errors().form} />
          <Show when={saved()}>
            <p class="notice notice-good" role="status">Settings saved.</p>
          </Show>
          <div class="row">
            <Button type="submit" variant="primary" pending={state.fetching}>Save settings</Button>
            <Show when={dirty()}>
              <Button onClick={discard}>Discard changes</Button>
            </Show>
          </div>
        </fieldset>
      </form>
    </Section>
  );
}
