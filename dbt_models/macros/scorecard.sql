{% macro kpi_status(value, target, direction) %}
    {#-
        Status of a value against its target (kpis.md, Annotations): on_track on the target or its
        better side; at_risk on the wrong side by at most 5 % of the target, boundary included;
        off_track beyond; no_target; null when the value is null. The 1e-9 keeps a value exactly
        on the 5 % boundary at_risk despite floating-point error.
    -#}
    case
        when {{ target }} is null then 'no_target'
        when {{ value }} is null then null
        when ({{ direction }} = 'higher' and {{ value }} >= {{ target }})
            or ({{ direction }} = 'lower' and {{ value }} <= {{ target }})
            then 'on_track'
        when abs({{ value }} - {{ target }}) <= 0.05 * abs({{ target }}) * (1 + 1e-9) then 'at_risk'
        else 'off_track'
    end
{%- endmacro %}


{% macro iso_week_monday(iso_year, iso_week) %}
    {#- Monday of ISO week iso_week of ISO year iso_year (week 1 holds 4 January). -#}
    cast(
        make_date(cast({{ iso_year }} as bigint), 1, 4)
        - cast({{ iso_day_of_week('make_date(cast(' ~ iso_year ~ ' as bigint), 1, 4)') }} - 1 as integer)
        + cast(({{ iso_week }} - 1) * 7 as integer)
        as date
    )
{%- endmacro %}


{% macro same_period_last_year_start(grain, period_start_column) %}
    {#-
        The same period one year earlier: the same month; the ISO week with the same number in the
        previous ISO year (null for week 53 when that year has 52 weeks); the same calendar date
        (null for 29 February).
    -#}
    case {{ grain }}
        when 'month' then cast({{ dbt.dateadd('year', -1, period_start_column) }} as date)
        when 'week' then
            case
                {%- set monday = iso_week_monday(
                    iso_year(period_start_column) ~ ' - 1', iso_week(period_start_column)
                ) %}
                when {{ iso_week(monday) }} = {{ iso_week(period_start_column) }}
                    then {{ monday }}
            end
        when 'day' then
            case
                when day({{ dbt.dateadd('year', -1, period_start_column) }}) = day({{ period_start_column }})
                    then cast({{ dbt.dateadd('year', -1, period_start_column) }} as date)
            end
    end
{%- endmacro %}


{% macro relative_change(value, previous) %}
    {#- (value - previous) / |previous|; null when either is null or previous is 0. -#}
    case
        when {{ value }} is not null and {{ previous }} is not null and {{ previous }} <> 0
            then ({{ value }} - {{ previous }}) / abs({{ previous }})
    end
{%- endmacro %}


{% macro moved(relative_change, way, threshold) %}
    {#- Did a value move in `way` ('higher' | 'lower') by more than `threshold` (a fraction)? -#}
    coalesce(
        case {{ way }}
            when 'higher' then {{ relative_change }} > {{ threshold }} * (1 + 1e-9)
            when 'lower' then {{ relative_change }} < -{{ threshold }} * (1 + 1e-9)
        end,
        false
    )
{%- endmacro %}


{% macro move_is_beyond_noise(unit, numerator, denominator, previous_numerator, previous_denominator) %}
    {#-
        Is a move larger than sampling noise (kpis.md, Guardrails): at least `guardrail_noise_z`
        standard errors of the change. For a ratio of counted things (numerator between 0 and the
        denominator) a two-proportion z-test; for a count a Poisson one, |x1 - x0| / sqrt(x1 + x0);
        true where no such test applies (medians, means, money sums, ratios of other quantities),
        which then move on the relative threshold alone.
    -#}
    {%- set z = var('guardrail_noise_z') -%}
    case
        when {{ unit }} = 'ratio'
            and {{ denominator }} > 0 and {{ previous_denominator }} > 0
            and {{ numerator }} between 0 and {{ denominator }}
            and {{ previous_numerator }} between 0 and {{ previous_denominator }}
            then coalesce(
                abs({{ numerator }} / {{ denominator }} - {{ previous_numerator }} / {{ previous_denominator }})
                / nullif(sqrt(
                    ({{ numerator }} + {{ previous_numerator }}) / ({{ denominator }} + {{ previous_denominator }})
                    * (1 - ({{ numerator }} + {{ previous_numerator }}) / ({{ denominator }} + {{ previous_denominator }}))
                    * (1 / {{ denominator }} + 1 / {{ previous_denominator }})
                ), 0)
                >= {{ z }},
                false
            )
        when {{ unit }} = 'count'
            and {{ numerator }} >= 0 and {{ previous_numerator }} >= 0
            and {{ numerator }} + {{ previous_numerator }} > 0
            then abs({{ numerator }} - {{ previous_numerator }}) / sqrt({{ numerator }} + {{ previous_numerator }}) >= {{ z }}
        else true
    end
{%- endmacro %}
