-- Which of a live table's subscribers may see a changed row: one call per change for all of them, instead of one
-- query per subscriber. Each subscriber is a (role, claims) pair; the function switches to each in turn (a role the
-- session user, the organization's authenticator, may become) and asks whether RLS lets it see the row.
-- Not security definer: it runs as the caller, and `set role` is checked against the session user.
create or replace function canopy.visible_to(target regclass, key jsonb, subscribers jsonb) returns boolean[] as $$
declare
  predicate text;
  subscriber jsonb;
  visible boolean;
  answers boolean[] := '{}';
begin
  -- The primary key, typed: `id = ($1 ->> 'id')::integer and …`, so the lookup uses the key's index.
  select string_agg(format('%I = ($1 ->> %L)::%s', a.attname, a.attname, format_type(a.atttypid, a.atttypmod)), ' and ')
    into predicate
    from pg_attribute a
    where a.attrelid = target and a.attname in (select jsonb_object_keys(key)) and not a.attisdropped;
  for subscriber in select * from jsonb_array_elements(subscribers) loop
    perform set_config('role', subscriber ->> 'role', true);
    perform set_config('request.jwt.claims', subscriber ->> 'claims', true);
    execute format('select exists (select from %s where %s)', target, predicate) into visible using key;
    answers := answers || visible;
  end loop;
  return answers;
end;
$$ language plpgsql volatile;
