{#-
    Time: instants are timestamptz on DuckDB and timestamp on Spark (an instant, shown in the
    session time zone, UTC in the profile). Local dates are always taken explicitly in
    Europe/Copenhagen, so both engines place an event on the same day.
-#}

{% macro local_date(timestamp_column) %}
    {#- The Europe/Copenhagen calendar date of an instant; periods are taken on it. -#}
    {{ return(adapter.dispatch('local_date', 'kpi_platform')(timestamp_column)) }}
{%- endmacro %}

{% macro default__local_date(timestamp_column) -%}
    cast(({{ timestamp_column }} at time zone 'Europe/Copenhagen') as date)
{%- endmacro %}

{% macro spark__local_date(timestamp_column) -%}
    {#- from_utc_timestamp reads the instant as UTC, which it is whatever the session zone. -#}
    to_date(from_utc_timestamp({{ timestamp_column }}, 'Europe/Copenhagen'))
{%- endmacro %}


{% macro elapsed_seconds(start_column, end_column) %}
    {#- Elapsed seconds between two instants: a daylight-saving change counts as the hour it is. -#}
    {{ return(adapter.dispatch('elapsed_seconds', 'kpi_platform')(start_column, end_column)) }}
{%- endmacro %}

{% macro default__elapsed_seconds(start_column, end_column) -%}
    (epoch({{ end_column }}) - epoch({{ start_column }}))
{%- endmacro %}

{% macro spark__elapsed_seconds(start_column, end_column) -%}
    {#- Microseconds since the epoch are exact integers; the difference is taken before dividing. -#}
    ((unix_micros({{ end_column }}) - unix_micros({{ start_column }})) / 1e6)
{%- endmacro %}


{% macro type_instant() %}
    {#- The type of an instant (a point in time, whatever the zone it is shown in). -#}
    {{ return(adapter.dispatch('type_instant', 'kpi_platform')()) }}
{%- endmacro %}

{% macro default__type_instant() -%}
    timestamptz
{%- endmacro %}

{% macro spark__type_instant() -%}
    timestamp
{%- endmacro %}


{% macro iso_day_of_week(date_column) %}
    {#- ISO day of the week of a date: 1 = Monday .. 7 = Sunday. -#}
    {{ return(adapter.dispatch('iso_day_of_week', 'kpi_platform')(date_column)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_column) -%}
    isodow({{ date_column }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_column) -%}
    extract(dayofweek_iso from {{ date_column }})
{%- endmacro %}


{% macro day_sequence(first_day, last_day) %}
    {#- The list of the days from first_day to last_day (both included), for unnest_list(). -#}
    {{ return(adapter.dispatch('day_sequence', 'kpi_platform')(first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_sequence(first_day, last_day) -%}
    generate_series({{ first_day }}, {{ last_day }}, interval 1 day)
{%- endmacro %}

{% macro spark__day_sequence(first_day, last_day) -%}
    sequence({{ first_day }}, {{ last_day }}, interval 1 day)
{%- endmacro %}


{% macro local_instant(local_timestamp) %}
    {#-
        The instant of a Europe/Copenhagen wall-clock time (a timestamp without zone). The
        models only convert local midnights, which daylight saving never skips or repeats here.
    -#}
    {{ return(adapter.dispatch('local_instant', 'kpi_platform')(local_timestamp)) }}
{%- endmacro %}

{% macro default__local_instant(local_timestamp) -%}
    timezone('Europe/Copenhagen', {{ local_timestamp }})
{%- endmacro %}

{% macro spark__local_instant(local_timestamp) -%}
    to_utc_timestamp({{ local_timestamp }}, 'Europe/Copenhagen')
{%- endmacro %}


{% macro iso_week(date_column) %}
    {#- ISO 8601 week number of a date (1-53; week 1 holds 4 January). -#}
    {{ return(adapter.dispatch('iso_week', 'kpi_platform')(date_column)) }}
{%- endmacro %}

{% macro default__iso_week(date_column) -%}
    week({{ date_column }})
{%- endmacro %}

{% macro spark__iso_week(date_column) -%}
    weekofyear({{ date_column }})
{%- endmacro %}


{% macro iso_year(date_column) %}
    {#- ISO 8601 year of a date: the year its ISO week belongs to. -#}
    {{ return(adapter.dispatch('iso_year', 'kpi_platform')(date_column)) }}
{%- endmacro %}

{% macro default__iso_year(date_column) -%}
    isoyear({{ date_column }})
{%- endmacro %}

{% macro spark__iso_year(date_column) -%}
    extract(yearofweek from {{ date_column }})
{%- endmacro %}
