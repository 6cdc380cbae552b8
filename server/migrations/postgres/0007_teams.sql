-- PostgreSQL twin of migrations/sqlite/0007_teams.sql (records belong to
-- teams; tokens to the authority that issued them): see that file for
-- what the columns mean.
alter table records add column scope text collate "C" not null default '';

update records set scope = coalesce(
    (select 'team:' || team_id from card_links
     where card_links.record_id = records.id
     order by created_at, board_id, item_id limit 1), '')
where connector = 'builtin';
update records set scope = 'team:' || (select min(team_id) from installations)
where connector = 'builtin' and scope = ''
  and (select count(distinct team_id) from installations) = 1;
update records set scope = 'github:' || lower(substr(external_id, 1, position('#' in external_id) - 1))
where connector = 'github' and position('#' in external_id) > 1;

create index records_by_scope on records (scope);

alter table installations add column issuer text;
