#!/bin/sh
# Temporal's schema in PostgreSQL: the default store (temporal) and the visibility store
# (temporal_visibility). Safe to run again: an existing database is kept, and update-schema
# applies only the versions not applied yet (which is also how a Temporal upgrade migrates).
set -eu
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12
sql() { temporal-sql-tool --plugin postgres12 --ep "$SQL_HOST" -p "$SQL_PORT" -u "$SQL_USER" --pw "$SQL_PASSWORD" "$@"; }

for store in temporal:temporal visibility:temporal_visibility; do
    dir=${store%%:*}
    db=${store#*:}
    sql --db "$db" create-database 2>/dev/null || echo "database $db exists"
    sql --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db already set up"
    sql --db "$db" update-schema -d "$SCHEMA_DIR/$dir/versioned"
done
echo "Temporal schema up to date"
