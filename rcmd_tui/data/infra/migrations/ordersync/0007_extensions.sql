-- pg_stat_statements feeds the monitoring screen's slow-query view. It is created in public, once
-- per database, where the server has it; where it is missing or we may not create it, migrating goes
-- on and the monitoring screen says why it has no statement statistics.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public;
        EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
            RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
        END;
    END IF;
END;
$$;
