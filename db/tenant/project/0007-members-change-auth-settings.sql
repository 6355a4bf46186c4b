-- Members change a project's auth settings in the console (the control API's updateProjectAuthSettings), which runs
-- as the project's service role, as the auth API and the console's Users page do. Only the columns the console shows;
-- refresh_token_reuse_interval stays the operator's.
grant update (enable_signup, confirm_email, access_token_ttl, min_password_length, redirect_urls, site_url)
  on :AUTH_SCHEMA.settings to :SERVICE;
