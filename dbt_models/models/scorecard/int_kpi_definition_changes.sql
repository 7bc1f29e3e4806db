-- Each change of a KPI's definition version, in the order the versions were first computed:
-- the series breaks in the period holding the as-of date of the new version's first computation.

with

definition_history as (

    select * from {{ ref('kpi_definition_history') }}

),

versions as (

    select
        kpi_id,
        definition_version,
        first_as_of,
        lag(definition_version) over (partition by kpi_id order by first_computed_at) as previous_version
    from definition_history

),

final as (

    select
        kpi_id,
        first_as_of as break_on,
        previous_version as old_version,
        definition_version as new_version
    from versions
    where previous_version is not null
        and previous_version <> definition_version

)

select * from final
