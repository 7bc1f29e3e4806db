{{
    config(
        materialized=kpi_mart_materialization(),
        incremental_strategy='kpi_annotations',
        on_schema_change='sync_all_columns',
    )
}}

-- kpi_values with the context kpis.md asks every published value to carry, except the flags
-- (kpi_flags is built on this model, and kpi_scorecard joins the two), the catalog's long texts
-- (definition, question, owner, cadence) and what changes with every run (the inputs' freshness
-- and data quality, the computation time): kpi_scorecard adds those per KPI, so that the 22
-- million rows of this table at scale 100 carry none of them. Here: names and unit; target, gap
-- and status; the previous period and the same period last year; the definition version and
-- its breaks.
-- A suppressed HR cell (kpis.md, Privacy) keeps no number at all, not even its sample size.
-- Incremental on DuckDB, per KPI: a run computes again a KPI's periods of the months whose
-- inputs changed and of those that compare with them (macros/incremental_scorecard.sql); on
-- Spark a table, built whole.

with

kpi_values as {{ inlined_cte() }} (

    select * from {{ ref('kpi_values') }}

),

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

targets as {{ inlined_cte() }} (

    select * from {{ ref('kpi_targets') }}

),

definition_changes as (

    select * from {{ ref('int_kpi_definition_changes') }}

),

computed_values as (

    -- kpi_values without its as-of date, which changes with every run and enters no column here
    -- (the definition version is the catalog's, which scorecard_version holds).
    select {{ kpi_published_columns('kpi_values') }}
    from kpi_values

),

input_checksums as (

    {{ kpi_annotation_input_checksums({
        'computed_values': 'period_start',
        'targets': 'period_start',
        'definition_changes': 'break_on',
    }) }}

),

scorecard_version as (

    {{ kpi_scorecard_version() }}

),

rebuild as {{ materialized_cte() }} (

    {{ kpi_annotation_rebuild_months('input_checksums', 'scorecard_version') }}

),

rebuilt as (

    {{ kpi_annotation_rebuilt_months('rebuild') }}

),

compared_months as {{ materialized_cte() }} (

    {{ kpi_annotation_compared_months('rebuild') }}

),

published_values as (

    select
        kpi_id,
        grain,
        period_start,
        period_end,
        dimension_name,
        dimension_value,
        case when {{ is_suppressed('null_reason') }} then null else cast(value as double) end as value,
        case when {{ is_suppressed('null_reason') }} then null else cast(numerator as double) end
            as numerator,
        case when {{ is_suppressed('null_reason') }} then null else cast(denominator as double) end
            as denominator,
        case when {{ is_suppressed('null_reason') }} then null else sample_size end as sample_size,
        coalesce(is_complete_period, false) as is_complete_period,
        coalesce(is_provisional, false) as is_provisional,
        null_reason,
        people_count
    from kpi_values
    where kpi_id in (select kpis.kpi_id from kpis)
        and {{ kpi_annotation_is_rebuilt(
            'kpi_values.kpi_id', 'kpi_values.period_start', 'kpi_values.period_end', 'compared_months'
        ) }}

),

definition_breaks as (

    select distinct
        kpi_id,
        break_on
    from definition_changes

),

compared as (

    select
        published_values.*,
        previous_values.value as previous_value,
        previous_values.numerator as previous_numerator,
        previous_values.denominator as previous_denominator,
        previous_values.is_provisional as previous_is_provisional,
        last_year_values.value as same_period_last_year
    from published_values
    left join published_values as previous_values
        on published_values.kpi_id = previous_values.kpi_id
        and published_values.grain = previous_values.grain
        and published_values.dimension_name = previous_values.dimension_name
        and published_values.dimension_value = previous_values.dimension_value
        and previous_values.period_start
        = {{ previous_period_start('published_values.grain', 'published_values.period_start') }}
    left join published_values as last_year_values
        on published_values.kpi_id = last_year_values.kpi_id
        and published_values.grain = last_year_values.grain
        and published_values.dimension_name = last_year_values.dimension_name
        and published_values.dimension_value = last_year_values.dimension_value
        and last_year_values.period_start
        = {{ same_period_last_year_start('published_values.grain', 'published_values.period_start') }}
    where {{ kpi_annotation_is_rebuilt(
        'published_values.kpi_id', 'published_values.period_start', 'published_values.period_end', 'rebuild'
    ) }}

),

final as (

    select
        compared.kpi_id,
        kpis.name_da as kpi_name_da,
        kpis.name_en as kpi_name_en,
        kpis.function_name as function,
        compared.grain,
        compared.period_start,
        compared.period_end,
        compared.is_complete_period,
        compared.dimension_name,
        compared.dimension_value,
        compared.value,
        compared.numerator,
        compared.denominator,
        kpis.unit,
        kpis.direction,
        targets.target,
        round(compared.value - targets.target, 10) as target_gap,
        {{ kpi_status('compared.value', 'targets.target', 'kpis.direction') }} as status,
        compared.previous_value,
        round(compared.value - compared.previous_value, 10) as change,
        compared.same_period_last_year,
        compared.is_provisional,
        compared.null_reason,
        kpis.definition_version,
        kpis.kpi_role,
        compared.sample_size,
        kpis.target_type,
        definition_breaks.kpi_id is not null as definition_break,
        -- Not published: what kpi_flags compares and the privacy guard's inputs.
        compared.previous_numerator,
        compared.previous_denominator,
        compared.previous_is_provisional,
        kpis.is_computed_over_people,
        compared.people_count
    from compared
    inner join kpis
        on compared.kpi_id = kpis.kpi_id
    left join targets
        on compared.kpi_id = targets.kpi_id
        and compared.grain = targets.grain
        and compared.period_start = targets.period_start
        and compared.dimension_name = targets.dimension_name
        and compared.dimension_value = targets.dimension_value
    left join definition_breaks
        on compared.kpi_id = definition_breaks.kpi_id
        and compared.period_start = {{ period_start('compared.grain', 'definition_breaks.break_on') }}

)

select
    final.*,
    -- A full build's list (kpi_id null) holds every KPI.
    coalesce(
        rebuilt.rebuilt_months,
        (
            select every_kpi.rebuilt_months
            from rebuilt as every_kpi
            where every_kpi.kpi_id is null
        )
    ) as rebuilt_months,
    {{ as_of_date() }} as built_as_of,
    input_checksums.checksum as inputs_checksum,
    scorecard_version.checksum as scorecard_version
from final
left join rebuilt
    on final.kpi_id = rebuilt.kpi_id
cross join scorecard_version
left join input_checksums
    on final.kpi_id = input_checksums.kpi_id
    and cast({{ dbt.date_trunc('month', 'final.period_start') }} as date) = input_checksums.month_start
