{{ config(materialized=kpi_scorecard_materialization()) }}

-- Every KPI value with its context, as published (kpis.md, Annotations): the annotated values,
-- what this run says of each KPI (the freshness and data quality of its inputs, the computation
-- time and as-of date), the catalog's texts (definition, question, owner, cadence) and whether a
-- warning flag sits on the row. The export adds only text: the flags' sentences (guardrail_flags)
-- and the commentary in Danish and English.
-- A view on DuckDB: the values are stored once (int_kpi_values_annotated, incremental) and the
-- per-KPI columns, which change with every run, are joined when it is read. On Spark a table
-- (the warehouse mirrors Spark's tables as views over their Parquet files).

with

annotated as (

    select * from {{ ref('int_kpi_values_annotated') }}

),

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

freshness as (

    select * from {{ ref('kpi_freshness') }}

),

data_quality as (

    select * from {{ ref('kpi_data_quality') }}

),

flags as (

    select * from {{ ref('kpi_flags') }}

),

as_of as (

    select max(as_of_date) as as_of_date from {{ ref('kpi_values') }}

),

flagged_rows as (

    select
        kpi_id,
        grain,
        period_start,
        dimension_name,
        dimension_value,
        count(*) as flag_count,
        bool_or(severity = 'warning') as is_flagged
    from flags
    group by kpi_id, grain, period_start, dimension_name, dimension_value

),

final as (

    select
        annotated.kpi_id,
        annotated.kpi_name_da,
        annotated.kpi_name_en,
        annotated.function,
        annotated.grain,
        annotated.period_start,
        annotated.period_end,
        annotated.is_complete_period,
        annotated.dimension_name,
        annotated.dimension_value,
        annotated.value,
        annotated.numerator,
        annotated.denominator,
        annotated.unit,
        annotated.direction,
        annotated.target,
        annotated.target_gap,
        annotated.status,
        annotated.previous_value,
        annotated.change,
        annotated.same_period_last_year,
        annotated.is_provisional,
        annotated.null_reason,
        freshness.data_freshness_at,
        freshness.freshness_hours,
        coalesce(data_quality.data_quality_status, 'unknown') as data_quality_status,
        annotated.definition_version,
        {{ computed_at() }} as computed_at,
        annotated.kpi_role,
        annotated.sample_size,
        annotated.target_type,
        annotated.definition_break,
        data_quality.data_quality_notes,
        -- Not published: what kpi_flags compares, the as-of dates, and the privacy guard's inputs.
        annotated.previous_numerator,
        annotated.previous_denominator,
        annotated.previous_is_provisional,
        as_of.as_of_date,
        annotated.is_computed_over_people,
        annotated.people_count,
        kpis.definition_da as definition,
        kpis.question_da as question,
        kpis.owner,
        kpis.refresh_cadence,
        kpis.definition_en,
        kpis.question_en,
        coalesce(flagged_rows.is_flagged, false) as is_flagged,
        coalesce(flagged_rows.flag_count, 0) as flag_count,
        annotated.built_as_of
    from annotated
    inner join kpis
        on annotated.kpi_id = kpis.kpi_id
    cross join as_of
    left join freshness
        on annotated.kpi_id = freshness.kpi_id
    left join data_quality
        on annotated.kpi_id = data_quality.kpi_id
    left join flagged_rows
        on annotated.kpi_id = flagged_rows.kpi_id
        and annotated.grain = flagged_rows.grain
        and annotated.period_start = flagged_rows.period_start
        and annotated.dimension_name = flagged_rows.dimension_name
        and annotated.dimension_value = flagged_rows.dimension_value

)

select * from final
