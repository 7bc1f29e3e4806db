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
        {%- set lake_dir = env_var('KPI_LAKE_DIR', '') -%}
        {%- if not lake_dir.startswith('/') -%}
            {{ exceptions.raise_compiler_error(
                "The Spark target reads the raw layer from KPI_LAKE_DIR, an absolute path; got '"
                ~ lake_dir ~ "' (dagster_project/settings.py lake_dir() sets it for Dagster and make)"
            ) }}
        {%- endif -%}
        {%- set schemas = var('lake_schemas') -%}
        {%- for schema in schemas -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for node in graph.sources.values() if node.schema in schemas -%}
            {%- do run_query(
                'create table if not exists ' ~ node.schema ~ '.' ~ node.identifier
                ~ " using parquet location '" ~ lake_dir ~ '/' ~ node.schema ~ '/' ~ node.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
