{% macro register_lake_sources() %}
    {#-
        on-run-start: make the raw layer readable by the engine. DuckDB reads the raw and catalog
        tables the ingest writes into its own file: nothing to do. Spark reads the same rows as
        Parquet in the lake folder (KPI_LAKE_DIR, `<schema>/<table identifier>/*.parquet`,
        written by dagster_project/lake.py): each source of a schema in the var lake_schemas is
        registered once as an external table of the metastore, over its folder.
    -#}
    {{ return(adapter.dispatch('register_lake_sources', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {#- A relative path is taken from the repository root, as profiles.yml and settings.py do;
            an absolute path or a URL (s3://, abfss://) is the location as it is. -#}
        {%- set lake_dir = env_var('KPI_LAKE_DIR', '') or 'data/lake' -%}
        {%- if not (lake_dir.startswith('/') or '://' in lake_dir) -%}
            {%- set lake_dir = flags.PROFILES_DIR ~ '/../' ~ lake_dir -%}
        {%- endif -%}
        {%- set schemas = var('lake_schemas') -%}
        {%- for schema in schemas -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for node in graph.sources.values() if node.schema in schemas -%}
            {#- Columns declared with their types: the table exists before any file does (the
                quality verdicts before the checks first ran); otherwise Spark reads the schema
                from the Parquet files. -#}
            {%- set column_ddl = [] -%}
            {%- for column in node.columns.values() if column.data_type -%}
                {%- do column_ddl.append(column.name ~ ' ' ~ column.data_type) -%}
            {%- endfor -%}
            {%- do run_query(
                'create table if not exists ' ~ node.schema ~ '.' ~ node.identifier
                ~ (' (' ~ column_ddl | join(', ') ~ ')' if column_ddl else '')
                ~ " using parquet location '" ~ lake_dir ~ '/' ~ node.schema ~ '/' ~ node.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
