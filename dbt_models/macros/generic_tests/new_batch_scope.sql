{% macro default__get_where_subquery(relation) -%}
    {#-
        The rows a generic data test reads (dbt's own macro, overridden): the test's `where`
        config as dbt does it, and on a daily run only the new batch of an incremental fact.

        A daily run passes the var tested_batches: for each fact model it built incrementally,
        the highest _file_id it held before the build. The rows above it are exactly the rows
        that build inserted (the latest version of every key in a newer file), so a test of
        that fact reads those and no others. The rows below were tested when they came in;
        the weekly job and a full refresh pass no var and test every row.
    -#}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set tested_after = (var('tested_batches', {}) or {}).get(relation.identifier) -%}
    {%- if tested_after is not none -%}
        {%- do conditions.append('_file_id > ' ~ (tested_after | int)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
