-- Every KPI value with its context, as published (kpis.md, Annotations): the annotated values,
-- the catalog's texts (definition, question, owner, cadence) and whether a warning flag sits on
-- the row. The export adds only text: the flags' sentences (guardrail_flags) and the commentary
-- in Danish and English.

with

annotated as (

    select * from {{ ref('int_kpi_values_annotated') }}

),

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

flags as (

    select * from {{ ref('kpi_flags') }}

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
        annotated.*,
        kpis.definition_da as definition,
        kpis.question_da as question,
        kpis.owner,
        kpis.refresh_cadence,
        kpis.definition_en,
        kpis.question_en,
        coalesce(flagged_rows.is_flagged, false) as is_flagged,
        coalesce(flagged_rows.flag_count, 0) as flag_count
    from annotated
    inner join kpis
        on annotated.kpi_id = kpis.kpi_id
    left join flagged_rows
        on annotated.kpi_id = flagged_rows.kpi_id
        and annotated.grain = flagged_rows.grain
        and annotated.period_start = flagged_rows.period_start
        and annotated.dimension_name = flagged_rows.dimension_name
        and annotated.dimension_value = flagged_rows.dimension_value

)

select * from final
