#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory. One login role per
# service, owning a schema of the same name and nothing else: no service can read another's tables.
# Passwords come from <SERVICE>_DB_PASSWORD (set in docker-compose.yml), with dev-only defaults.
set -eu

for service in auth workflows executions files delivery; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  password="$(printenv "$var" || echo "${service}-dev-password")"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$service" -v password="$password" <<'SQL'
create role :"role" login password :'password';
create schema :"role" authorization :"role";
alter role :"role" set search_path = :"role";
-- Migrations start with `create schema if not exists`, which Postgres checks against the database's
-- CREATE privilege even when the schema exists. Other schemas stay unreadable: they belong to other roles.
grant create, connect on database :"DBNAME" to :"role";
SQL
done

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
revoke all on database :"DBNAME" from public;
revoke all on schema public from public;
SQL
