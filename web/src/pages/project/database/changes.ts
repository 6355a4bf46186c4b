/**
 * Re-reading the project's data when a member changed it: SQL that wrote is announced to the organization as
 * `project.data_changed` (reads are not, so open table editors never wake each other), and when the tab comes back
 * into view.
 */
import { onCleanup } from 'solid-js';
import { onOrganizationEvent } from '../../../graphql/live.ts';

export function onDatabaseChange(reload: () => void) {
  onOrganizationEvent(['project.data_changed'], reload);
  const visible = () => document.visibilityState === 'visible' && reload();
  document.addEventListener('visibilitychange', visible);
  onCleanup(() => document.removeEventListener('visibilitychange', visible));
}
