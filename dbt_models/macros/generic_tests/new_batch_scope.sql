{% macro default__get_where_subquery(relation) -%}
    {#-
        The rows a generic data test reads (dbt's own macro, overridden): the test's `where`
        config as dbt does it, and on a daily run only the new batch of an incremental fact.

        A daily run sets the environment variable KPI_TESTED_BATCHES, a JSON object: for each
        fact model it builds incrementally, the highest _file_id it held before the build. The
        rows above it are exactly the rows that build inserted (the latest version of every key
        in a newer file), so a test of that fact reads those and no others. The rows below were
        tested when they came in; the weekly job and a full refresh set nothing and test every
        row. An environment variable read only at execution (`execute`), not a dbt var: a var
        that changes every day would make dbt parse the whole project again on every command.

        Likewise KPI_TESTED_MARTS, a JSON list of the models built with the strategies kpi_periods
        (the KPI marts) and kpi_annotations (int_kpi_values_annotated) and of the views over them
        whose rows carry built_as_of (kpi_scorecard): a test of one reads the rows built at this
        run's as-of date, the periods this run and any earlier run of the same as-of date computed
        again. The kept rows were tested when they were built, and kpi_values, the union of the
        marts, is tested whole on every run (a kept row beside a rebuilt one of the same key fails
        its unique test there; the annotated values delete and rebuild a KPI's whole periods, so
        theirs cannot meet).
    -#}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set batches = fromjson(env_var('KPI_TESTED_BATCHES', '') or '{}') if execute else {} -%}
    {%- set tested_after = batches.get(relation.identifier) -%}
    {%- if tested_after is not none -%}
        {%- do conditions.append('_file_id > ' ~ (tested_after | int)) -%}
    {%- endif -%}
    {%- set marts = fromjson(env_var('KPI_TESTED_MARTS', '') or '[]') if execute else [] -%}
    {%- if relation.identifier in marts -%}
        {%- do conditions.append('built_as_of = ' ~ as_of_date()) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
