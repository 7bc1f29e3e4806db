{% macro local_date(timestamp_column) %}
    {#- The Europe/Copenhagen calendar date of an instant (timestamptz); periods are taken on it. -#}
    cast(({{ timestamp_column }} at time zone 'Europe/Copenhagen') as date)
{%- endmacro %}


{% macro elapsed_seconds(start_column, end_column) %}
    {#- Elapsed seconds between two instants: a daylight-saving change counts as the hour it is. -#}
    (epoch({{ end_column }}) - epoch({{ start_column }}))
{%- endmacro %}
