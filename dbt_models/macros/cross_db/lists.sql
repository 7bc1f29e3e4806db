{#-
    Lists (the catalog's grains, dimensions and sources): DuckDB lists, Spark arrays.
-#}

{% macro unnest_list(list_expression) %}
    {#-
        One row per element of a list, as a select-list item (`select kpi_id, unnest_list(grains)
        as grain`). Spark allows one per select and not inside another expression: cast the
        column in an outer query.
    -#}
    {{ return(adapter.dispatch('unnest_list', 'kpi_platform')(list_expression)) }}
{%- endmacro %}

{% macro default__unnest_list(list_expression) -%}
    unnest({{ list_expression }})
{%- endmacro %}

{% macro spark__unnest_list(list_expression) -%}
    explode({{ list_expression }})
{%- endmacro %}


{% macro list_has(list_expression, value) %}
    {#- The list holds the value (null when the list is null). -#}
    {{ return(adapter.dispatch('list_has', 'kpi_platform')(list_expression, value)) }}
{%- endmacro %}

{% macro default__list_has(list_expression, value) -%}
    list_contains({{ list_expression }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list_expression, value) -%}
    array_contains({{ list_expression }}, {{ value }})
{%- endmacro %}


{% macro list_to_text(list_expression, separator) %}
    {#- The elements of a list joined by `separator` (a SQL string literal). -#}
    {{ return(adapter.dispatch('list_to_text', 'kpi_platform')(list_expression, separator)) }}
{%- endmacro %}

{% macro default__list_to_text(list_expression, separator) -%}
    array_to_string({{ list_expression }}, {{ separator }})
{%- endmacro %}

{% macro spark__list_to_text(list_expression, separator) -%}
    array_join({{ list_expression }}, {{ separator }})
{%- endmacro %}


{% macro ordered_string_agg(expression, separator, order_by) %}
    {#-
        Aggregate: the non-null values of `expression` joined by `separator` (a SQL string
        literal) in the order `order_by` (an order by list, without the keywords). dbt's listagg
        ignores the order on Spark, so it is not used here.
    -#}
    {{ return(adapter.dispatch('ordered_string_agg', 'kpi_platform')(expression, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }}) within group (order by {{ order_by }})
{%- endmacro %}
