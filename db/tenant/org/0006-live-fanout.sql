-- Live tables, fan-out: for one change, which of the subscribers' distinct (role, claims) pairs may see the row, and
-- the row itself, read once per role, so that the server executes each subscription once for all who share it
-- (server/src/projects/live.ts) instead of reading the row again for every subscriber.
--
-- Replaces canopy.visible_to (0005), which stays for servers of the previous version during a rollout. Not security
-- definer: it runs as the caller (the organization's authenticator), and `set role` is checked against it.
--
-- The caller runs it in a REPEATABLE READ transaction and rolls back: every answer comes from one snapshot, and the
-- role and claims switched to inside stay inside.
--
-- roles[i], claims[i]: one subscriber's role and JWT claims (as request.jwt.claims holds them); cheapest when sorted by
-- role, since the role is switched only when it changes. Returns, in the same order, whether each may see the row
-- (visible), and the row as a record literal (records) for the first of each role who may see it, null for the
-- others. Columns the role may not select are null in its record.
create or replace function canopy.live_rows(
  target regclass,
  key jsonb,
  roles text[],
  claims text[],
  out visible boolean[],
  out records text[]
) as $$
declare
  relation text;
  predicate text;
  exists_query text;
  statement_name text;
  prepared boolean := false;
  execute_prepared text;
  current_role_name text;
  readable boolean;
  seen boolean;
  record_text text;
  columns text;
  have_read text[] := '{}';
begin
  visible := '{}';
  records := '{}';
  select format('%I.%I', n.nspname, c.relname) into relation
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = target;
  -- The primary key, typed: `id = ($1 ->> 'id')::integer and …`, so the lookup uses the key's index.
  select string_agg(format('%I = ($1 ->> %L)::%s', a.attname, a.attname, format_type(a.atttypid, a.atttypmod)), ' and ' order by a.attnum)
    into predicate
    from pg_attribute a
    where a.attrelid = target and a.attname in (select jsonb_object_keys(key)) and not a.attisdropped;
  -- The question asked of every subscriber is prepared once per call and planned once per role: planning is most of
  -- its cost. Prepared afresh by every call, never taken from the session: a statement of that name left on this
  -- pooled connection may have been made by any tenant's code. Policies are evaluated at execution with the claims of
  -- the moment (canopy.uid() and canopy.jwt() are stable, read when they run), as PostGraphile's own prepared
  -- statements evaluate them. Prepared as the first subscriber's role: the authenticator itself may not even look
  -- into a project's schema.
  exists_query := format('select exists (select from %s where %s)', relation, predicate);
  statement_name := 'canopy_live_' || md5(exists_query);
  execute_prepared := format('execute %I(%L)', statement_name, key);

  for i in 1 .. coalesce(array_length(roles, 1), 0) loop
    if current_role_name is distinct from roles[i] then
      perform set_config('role', roles[i], true);
      current_role_name := roles[i];
      -- A role that may not read the key at all sees nothing (and must not make the question fail for the others).
      select bool_and(has_column_privilege(target, a.attnum, 'SELECT')) into readable
        from pg_attribute a
        where a.attrelid = target and a.attname in (select jsonb_object_keys(key)) and not a.attisdropped;
    end if;
    perform set_config('request.jwt.claims', claims[i], true);
    seen := false;
    record_text := null;
    if readable then
      begin
        if not prepared then
          if exists (select from pg_prepared_statements p where p.name = statement_name) then
            execute format('deallocate %I', statement_name);
          end if;
          execute format('prepare %I (jsonb) as %s', statement_name, exists_query);
          prepared := true;
        end if;
        execute execute_prepared into seen;
      exception when others then
        -- A policy that fails for these claims (a claim that is not a uuid, say) hides the row from this subscriber
        -- only, instead of failing the question for every other subscriber of the table.
        seen := false;
      end;
      if seen and not roles[i] = any(have_read) then
        -- The row as this role reads it: the columns it may select, nulls for the others.
        select string_agg(case when has_column_privilege(target, a.attnum, 'SELECT') then format('%I', a.attname) else 'null' end, ', ' order by a.attnum)
          into columns
          from pg_attribute a
          where a.attrelid = target and a.attnum > 0 and not a.attisdropped;
        execute format('select row(%s)::%s::text from %s where %s', columns, relation, relation, predicate) into record_text using key;
        have_read := have_read || roles[i];
      end if;
    end if;
    visible := visible || seen;
    records := records || record_text;
  end loop;
  if prepared then
    execute format('deallocate %I', statement_name);
  end if;
end;
$$ language plpgsql volatile set search_path to pg_catalog, pg_temp;
