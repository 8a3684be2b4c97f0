#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to the version
# the server image needs (service temporal-schema, before the server starts).
# Idempotent: existing databases are kept, applied schema versions are skipped, so it
# also upgrades the schema after the image tags in docker-compose.yml are raised.
#
# Connection from the environment (read by temporal-sql-tool):
#   SQL_PLUGIN=postgres12 SQL_HOST SQL_PORT SQL_USER SQL_PASSWORD
set -eu

SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

for database in temporal temporal_visibility; do
  case $database in
    temporal) schema_dir=$SCHEMA_ROOT/temporal/versioned ;;
    *) schema_dir=$SCHEMA_ROOT/visibility/versioned ;;
  esac
  echo "temporal-schema: $database"
  temporal-sql-tool --db "$database" create-database
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema --schema-dir "$schema_dir"
done
echo 'temporal-schema: done'
