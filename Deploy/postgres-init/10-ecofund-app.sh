#!/bin/sh
# Runs once, when the compose file's PostgreSQL starts on an empty volume: creates the service's login role with
# the password from the secret. The first migration then finds the role and grants it only what the service needs.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v pw="$(cat /run/secrets/pg-app-password)" <<'SQL'
CREATE ROLE ecofund_app LOGIN PASSWORD :'pw';
SQL
