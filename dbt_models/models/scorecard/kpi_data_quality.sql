-- The data-quality status of each KPI's inputs, as the Great Expectations suites last judged
-- them (quality.kpi_data_quality): the worst status that reaches the KPI (error > warning > ok),
-- 'unknown' where no suite said anything, with the messages of the failed expectations, worst
-- first. Before the checks first ran the relation does not exist and every KPI is 'unknown'.

{%- set verdicts = source('quality', 'kpi_data_quality') %}
{%- set verdicts_exist = not execute or adapter.get_relation(
    database=verdicts.database, schema=verdicts.schema, identifier=verdicts.identifier
) is not none %}

with

kpis as (

    select * from {{ ref('stg_catalog__kpis') }}

),

verdicts as (

    {% if verdicts_exist -%}
        select
            kpi_id,
            data_quality_status,
            nullif(message, '') as message
        from {{ verdicts }}
    {%- else -%}
    select
        cast(null as {{ type_text() }}) as kpi_id,
        cast(null as {{ type_text() }}) as data_quality_status,
        cast(null as {{ type_text() }}) as message
    where false
    {%- endif %}

),

ranked as (

    select
        kpi_id,
        message,
        case data_quality_status when 'error' then 3 when 'warning' then 2 when 'ok' then 1 else 0 end
            as severity_rank
    from verdicts

),

per_kpi as (

    select
        kpi_id,
        max(severity_rank) as worst_rank,
        {{ ordered_string_agg('message', "' | '", 'severity_rank desc, message asc') }} as data_quality_notes
    from ranked
    group by kpi_id

),

final as (

    select
        kpis.kpi_id,
        case per_kpi.worst_rank
            when 3 then 'error'
            when 2 then 'warning'
            when 1 then 'ok'
            else 'unknown'
        end as data_quality_status,
        per_kpi.data_quality_notes
    from kpis
    left join per_kpi
        on kpis.kpi_id = per_kpi.kpi_id

)

select * from final
