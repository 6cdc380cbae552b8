-- Records belong to teams, and stored tokens to the authority that
-- issued them.
--
-- `records.scope` says which teams may see and use a record:
-- `team:<team id>` for a record made here (in the panel, by connecting a
-- card, the sandbox's samples): the team of the installation that made it;
-- `<connector>:<place>` for a record whose item lives in a tool
-- (`github:owner/name`, lower case), which the deployment assigns to teams
-- (GITHUB_REPOSITORY_TEAMS; every allowed team by default). '' is nobody's:
-- a record from before teams whose team cannot be told. No team sees it.
alter table records add column scope text not null default '';

-- A built-in record shown on a board takes the team of the installation
-- that linked its first card.
update records set scope = coalesce(
    (select 'team:' || team_id from card_links
     where card_links.record_id = records.id
     order by created_at, board_id, item_id limit 1), '')
where connector = 'builtin';
-- With one team installed, it is every other built-in record's team.
update records set scope = 'team:' || (select min(team_id) from installations)
where connector = 'builtin' and scope = ''
  and (select count(distinct team_id) from installations) = 1;
-- An issue's record belongs to its repository.
update records set scope = 'github:' || lower(substr(external_id, 1, instr(external_id, '#') - 1))
where connector = 'github' and instr(external_id, '#') > 1;

create index records_by_scope on records (scope);

-- `installations.issuer`: who issued the tokens (the app's client id at
-- Miro's REST base, or a sandbox's): they are only ever sent back there.
-- Null for tokens kept before this column.
alter table installations add column issuer text;
