#!/bin/sh
# First start of the PostgreSQL volume only: the ledger's own role and database, apart from Temporal's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v ledger_user="$LEDGER_USER" -v ledger_password="$LEDGER_PASSWORD" <<'SQL'
CREATE ROLE :"ledger_user" LOGIN PASSWORD :'ledger_password';
CREATE DATABASE procurement OWNER :"ledger_user";
SQL
