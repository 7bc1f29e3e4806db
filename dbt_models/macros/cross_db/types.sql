{% macro type_text() %}
    {#- The type of text columns: DuckDB's varchar; Spark's varchar needs a length, string does not. -#}
    {{ return(adapter.dispatch('type_text', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
