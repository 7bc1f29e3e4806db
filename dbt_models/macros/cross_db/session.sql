{% macro engine_threads(threads=none) %}
    {#-
        A model hook: the engine computes the model with `threads` threads; none sets its default
        again (the post-hook). DuckDB only (SET / RESET threads); on Spark nothing (an empty hook
        is not run).
    -#}
    {{ return(adapter.dispatch('engine_threads', 'kpi_platform')(threads)) }}
{%- endmacro %}

{% macro default__engine_threads(threads) -%}
    {%- if threads is none -%}
        reset threads
    {%- else -%}
        set threads = {{ threads }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__engine_threads(threads) -%}
{%- endmacro %}
