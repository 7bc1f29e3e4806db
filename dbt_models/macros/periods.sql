{% macro period_start(grain, date_column) %}
    {#- First day of the day / ISO week (Monday) / month holding a date; grain is a SQL expression. -#}
    case {{ grain }}
        when 'day' then cast({{ date_column }} as date)
        when 'week' then cast({{ dbt.date_trunc('week', date_column) }} as date)
        when 'month' then cast({{ dbt.date_trunc('month', date_column) }} as date)
    end
{%- endmacro %}


{% macro period_end(grain, period_start_column) %}
    {#- Last day (inclusive) of the period that starts on period_start_column. -#}
    case {{ grain }}
        when 'day' then cast({{ period_start_column }} as date)
        when 'week' then cast({{ dbt.dateadd('day', 6, period_start_column) }} as date)
        when 'month' then cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, period_start_column)) }} as date
        )
    end
{%- endmacro %}


{% macro previous_period_start(grain, period_start_column) %}
    {#- Start of the period before the one starting on period_start_column. -#}
    case {{ grain }}
        when 'day' then cast({{ dbt.dateadd('day', -1, period_start_column) }} as date)
        when 'week' then cast({{ dbt.dateadd('day', -7, period_start_column) }} as date)
        when 'month' then cast({{ dbt.dateadd('month', -1, period_start_column) }} as date)
    end
{%- endmacro %}


{% macro next_period_start(grain, period_start_column) %}
    {#- Start of the period after the one starting on period_start_column. -#}
    case {{ grain }}
        when 'day' then cast({{ dbt.dateadd('day', 1, period_start_column) }} as date)
        when 'week' then cast({{ dbt.dateadd('day', 7, period_start_column) }} as date)
        when 'month' then cast({{ dbt.dateadd('month', 1, period_start_column) }} as date)
    end
{%- endmacro %}
