--! Previous: sha1:c9997548276d13babcabd7ecbd4695d5f8efffaf
--! Hash: sha1:f10abe20726b5f6ef41950ea0827f75e6201472a
--! Message: Hide token hash lookups from the API

/* Token hashes are unique, but never a way to look a row up through the API. */
comment on constraint sessions_token_hash_key on app_public.sessions is '@behavior -*';
comment on constraint personal_access_tokens_token_hash_key on app_public.personal_access_tokens is '@behavior -*';
comment on constraint organization_invitations_token_hash_key on app_public.organization_invitations is '@behavior -*';
