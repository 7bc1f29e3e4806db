-- Every flag on a published value, one row per flag and the row it sits on, with the inputs its
-- sentence is worded from (the export words it; nothing here is text but names and meanings).
--
-- guardrail (warning; kpis.md, Guardrails against Goodhart's law): on the grains both KPIs of a
-- pair have, on the total and the dimensions both have, against the previous period the
-- headline moved its better way (or the way the pair's headline_move names) and the guardrail
-- its worse way, both by more than the pair's threshold (relative change) and both by at least
-- guardrail_noise_z standard errors where a sampling test applies. Every period is compared, the
-- running one and provisional values too (their sentences say so); never a null value or a
-- previous value of null or 0. The flag sits on the headline's row and on the guardrail's row.
--
-- csat_selection_bias (warning): among tickets resolved in the period, first contact resolution
-- of surveyed and not surveyed tickets differs by more than the check's gap, with at least its
-- minimum of tickets on each side; on the check KPI's rows (total and the ticket dimensions both
-- KPIs have).
--
-- definition_drift (info): every row of the first period computed under a new definition version.

with

annotated as (

    select * from {{ ref('int_kpi_values_annotated') }}

),

pairs as (

    select * from {{ ref('stg_catalog__guardrail_pairs') }}

),

special_checks as (

    select * from {{ ref('stg_catalog__special_checks') }}

),

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

resolved_tickets as (

    select * from {{ ref('int_tickets_resolved') }}

),

version_changes as (

    select * from {{ ref('int_kpi_definition_changes') }}

),

pair_grains as (

    select
        headline_kpi_id,
        guardrail_kpi_id,
        threshold_pct,
        headline_move,
        meaning_da,
        meaning_en,
        {{ unnest_list('shared_grains') }} as grain,
        shared_dimensions
    from pairs

),

pair_comparisons as (

    select
        pair_grains.headline_kpi_id,
        pair_grains.guardrail_kpi_id,
        pair_grains.threshold_pct,
        pair_grains.meaning_da,
        pair_grains.meaning_en,
        headline.grain,
        headline.period_start,
        headline.dimension_name,
        headline.dimension_value,
        headline.kpi_name_da as headline_name_da,
        headline.kpi_name_en as headline_name_en,
        headline.unit as headline_unit,
        headline.value as headline_value,
        headline.previous_value as headline_previous_value,
        guardrail.kpi_name_da as guardrail_name_da,
        guardrail.kpi_name_en as guardrail_name_en,
        guardrail.unit as guardrail_unit,
        guardrail.value as guardrail_value,
        guardrail.previous_value as guardrail_previous_value,
        headline.is_complete_period and guardrail.is_complete_period as is_complete_period,
        headline.is_provisional or coalesce(headline.previous_is_provisional, false)
            as headline_is_provisional,
        guardrail.is_provisional or coalesce(guardrail.previous_is_provisional, false)
            as guardrail_is_provisional,
        case pair_grains.headline_move
            when 'better' then headline.direction
            when 'falling' then 'lower'
            when 'rising' then 'higher'
        end as headline_way,
        case guardrail.direction when 'higher' then 'lower' else 'higher' end as guardrail_worse_way,
        {{ relative_change('headline.value', 'headline.previous_value') }} as headline_change,
        {{ relative_change('guardrail.value', 'guardrail.previous_value') }} as guardrail_change,
        {{ move_is_beyond_noise(
            'headline.unit', 'headline.numerator', 'headline.denominator',
            'headline.previous_numerator', 'headline.previous_denominator'
        ) }} as is_headline_move_beyond_noise,
        {{ move_is_beyond_noise(
            'guardrail.unit', 'guardrail.numerator', 'guardrail.denominator',
            'guardrail.previous_numerator', 'guardrail.previous_denominator'
        ) }} as is_guardrail_move_beyond_noise
    from pair_grains
    inner join annotated as headline
        on pair_grains.headline_kpi_id = headline.kpi_id
        and pair_grains.grain = headline.grain
    inner join annotated as guardrail
        on pair_grains.guardrail_kpi_id = guardrail.kpi_id
        and headline.grain = guardrail.grain
        and headline.period_start = guardrail.period_start
        and headline.dimension_name = guardrail.dimension_name
        and headline.dimension_value = guardrail.dimension_value
    where headline.dimension_name = 'total'
        or {{ list_has('pair_grains.shared_dimensions', 'headline.dimension_name') }}

),

guardrail_hits as (

    select *
    from pair_comparisons
    where {{ moved('headline_change', 'headline_way', 'threshold_pct / 100.0') }}
        and {{ moved('guardrail_change', 'guardrail_worse_way', 'threshold_pct / 100.0') }}
        and is_headline_move_beyond_noise
        and is_guardrail_move_beyond_noise

),

-- A hit flags both rows: the headline's (related to the guardrail) and the guardrail's.
{%- set hit_columns = [
    'grain', 'period_start', 'dimension_name', 'dimension_value',
    'headline_kpi_id', 'headline_name_da', 'headline_name_en', 'headline_unit', 'headline_value',
    'headline_previous_value', 'headline_change',
    'guardrail_kpi_id', 'guardrail_name_da', 'guardrail_name_en', 'guardrail_unit', 'guardrail_value',
    'guardrail_previous_value', 'guardrail_change',
    'threshold_pct', 'meaning_da', 'meaning_en', 'is_complete_period',
    'headline_is_provisional', 'guardrail_is_provisional',
] %}
guardrail_flags as (

    {% for flagged, related in [('headline', 'guardrail'), ('guardrail', 'headline')] -%}
        select
            {{ flagged }}_kpi_id as kpi_id,
            'guardrail' as flag_id,
            'warning' as severity,
            {{ related }}_kpi_id as related_kpi_id,
            1 as check_order,
            {{ hit_columns | join(',\n        ') }}
        from guardrail_hits
        {%- if not loop.last %}

            union all

        {% endif -%}
    {%- endfor %}

),

selection_bias_check as (

    select
        special_checks.*,
        checked_kpi.grains,
        checked_kpi.dimensions,
        related_kpi.dimensions as related_dimensions
    from special_checks
    inner join kpis as checked_kpi
        on special_checks.kpi_id = checked_kpi.kpi_id
    inner join kpis as related_kpi
        on special_checks.related_kpi_id = related_kpi.kpi_id
    where special_checks.check_id = 'csat_selection_bias'

),

-- The ticket columns that are dimensions of both KPIs of the check.
selection_bias_dimensions as (

    select dimension_name
    from (
        select
            {{ unnest_list('dimensions') }} as dimension_name,
            related_dimensions
        from selection_bias_check
    ) as dimensions
    where {{ list_has('related_dimensions', 'dimension_name') }}
        and dimension_name in ('channel', 'category')

),

selection_bias_grains as (

    select {{ unnest_list('grains') }} as grain
    from selection_bias_check

),

tickets_in_periods as (

    select
        selection_bias_grains.grain,
        {{ period_start('selection_bias_grains.grain', 'resolved_tickets.resolved_on') }} as period_start,
        resolved_tickets.channel,
        resolved_tickets.category,
        resolved_tickets.is_first_contact_resolution,
        resolved_tickets.has_csat_survey
    from resolved_tickets
    cross join selection_bias_grains

),

ticket_cells as (

    select
        grain,
        period_start,
        'total' as dimension_name,
        'total' as dimension_value,
        is_first_contact_resolution,
        has_csat_survey
    from tickets_in_periods
    union all
    select
        grain,
        period_start,
        'channel' as dimension_name,
        channel as dimension_value,
        is_first_contact_resolution,
        has_csat_survey
    from tickets_in_periods
    where channel is not null
        and 'channel' in (select selection_bias_dimensions.dimension_name from selection_bias_dimensions)
    union all
    select
        grain,
        period_start,
        'category' as dimension_name,
        category as dimension_value,
        is_first_contact_resolution,
        has_csat_survey
    from tickets_in_periods
    where category is not null
        and 'category' in (select selection_bias_dimensions.dimension_name from selection_bias_dimensions)

),

first_contact_resolution_by_survey as (

    select
        grain,
        period_start,
        dimension_name,
        dimension_value,
        count(case when has_csat_survey then 1 end) as surveyed_tickets,
        count(case when not has_csat_survey then 1 end) as not_surveyed_tickets,
        avg(case when has_csat_survey then cast(is_first_contact_resolution as integer) end)
            as surveyed_first_contact_resolution,
        avg(case when not has_csat_survey then cast(is_first_contact_resolution as integer) end)
            as not_surveyed_first_contact_resolution
    from ticket_cells
    group by grain, period_start, dimension_name, dimension_value

),

selection_bias_flags as (

    select
        annotated.kpi_id,
        annotated.grain,
        annotated.period_start,
        annotated.dimension_name,
        annotated.dimension_value,
        'csat_selection_bias' as flag_id,
        'warning' as severity,
        selection_bias_check.related_kpi_id,
        2 as check_order,
        cells.surveyed_tickets,
        cells.not_surveyed_tickets,
        cells.surveyed_first_contact_resolution,
        cells.not_surveyed_first_contact_resolution,
        selection_bias_check.gap_pct_points,
        selection_bias_check.min_tickets_per_side
    from first_contact_resolution_by_survey as cells
    cross join selection_bias_check
    inner join annotated
        on selection_bias_check.kpi_id = annotated.kpi_id
        and cells.grain = annotated.grain
        and cells.period_start = annotated.period_start
        and cells.dimension_name = annotated.dimension_name
        and cells.dimension_value = annotated.dimension_value
    where cells.surveyed_tickets >= selection_bias_check.min_tickets_per_side
        and cells.not_surveyed_tickets >= selection_bias_check.min_tickets_per_side
        and abs(cells.surveyed_first_contact_resolution - cells.not_surveyed_first_contact_resolution) * 100
        > selection_bias_check.gap_pct_points * (1 + 1e-9)

),

drift_flags as (

    select
        annotated.kpi_id,
        annotated.grain,
        annotated.period_start,
        annotated.dimension_name,
        annotated.dimension_value,
        'definition_drift' as flag_id,
        'info' as severity,
        cast(null as {{ type_text() }}) as related_kpi_id,
        3 as check_order,
        annotated.kpi_name_da,
        annotated.kpi_name_en,
        version_changes.old_version,
        version_changes.new_version
    from annotated
    inner join version_changes
        on annotated.kpi_id = version_changes.kpi_id
        and annotated.period_start = {{ period_start('annotated.grain', 'version_changes.break_on') }}

),

{#
    The three kinds of flag in one table: the columns all share, then each kind's own columns
    (null on the other kinds' rows), in this order. Spelled out rather than `union all by name`,
    which Spark does not have.
#}
{%- set text = type_text() -%}
{%- set own_columns = {
    'guardrail_flags': [
        ('headline_kpi_id', text), ('headline_name_da', text), ('headline_name_en', text),
        ('headline_unit', text), ('headline_value', 'double'), ('headline_previous_value', 'double'),
        ('headline_change', 'double'), ('guardrail_kpi_id', text), ('guardrail_name_da', text),
        ('guardrail_name_en', text), ('guardrail_unit', text), ('guardrail_value', 'double'),
        ('guardrail_previous_value', 'double'), ('guardrail_change', 'double'),
        ('threshold_pct', 'double'), ('meaning_da', text), ('meaning_en', text),
        ('is_complete_period', 'boolean'), ('headline_is_provisional', 'boolean'),
        ('guardrail_is_provisional', 'boolean'),
    ],
    'selection_bias_flags': [
        ('surveyed_tickets', 'bigint'), ('not_surveyed_tickets', 'bigint'),
        ('surveyed_first_contact_resolution', 'double'),
        ('not_surveyed_first_contact_resolution', 'double'), ('gap_pct_points', 'double'),
        ('min_tickets_per_side', 'integer'),
    ],
    'drift_flags': [
        ('kpi_name_da', text), ('kpi_name_en', text), ('old_version', text), ('new_version', text),
    ],
} %}
{%- set own_column_lists = {} %}
{%- for kind in own_columns %}
    {%- set items = [] %}
    {%- for owner, columns in own_columns.items() %}
        {%- for name, type in columns %}
            {%- do items.append((name if owner == kind else 'cast(null as ' ~ type ~ ')') ~ ' as ' ~ name) %}
        {%- endfor %}
    {%- endfor %}
    {%- do own_column_lists.update({kind: items | join(',\n            ')}) %}
{%- endfor %}
final as (

    {% for kind in own_columns -%}
        select
            kpi_id,
            flag_id,
            severity,
            related_kpi_id,
            check_order,
            grain,
            period_start,
            dimension_name,
            dimension_value,
            {{ own_column_lists[kind] }}
        from {{ kind }}
        {%- if not loop.last %}

            union all

        {% endif -%}
    {%- endfor %}

)

select * from final
