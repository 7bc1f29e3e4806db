{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) %}
    {#-
        Spark only: dbt-spark's incremental materialization calls this macro for the
        insert_overwrite strategy, after it has set spark.sql.sources.partitionOverwriteMode to
        DYNAMIC (for a model with partition_by) and made the model's rows a temporary view
        (`source_relation`). A model of this project with a unique_key and one partition_by
        column (the fact staging models, fact_incremental_strategy) gets the delete+insert of
        DuckDB instead: its rows replace the stored rows of their keys, by rewriting every
        partition those keys touch (replace_keys_by_partition). Any other model gets dbt-spark's
        own statement (the statement of dbt-spark 1.11, strategies.sql, laid out for sqlfluff).
    -#}
    {%- set unique_key = config.get('unique_key') -%}
    {%- set partition_by = config.get('partition_by') -%}
    {%- if unique_key and partition_by and not existing_relation.is_iceberg -%}
        {{ return(replace_keys_by_partition(source_relation, target_relation, unique_key, partition_by)) }}
    {%- endif -%}
    {%- set dest_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set dest_cols_csv = dest_columns | map(attribute='quoted') | join(', ') -%}
    {%- set is_iceberg = existing_relation.is_iceberg -%}
    insert overwrite {{ '' if is_iceberg else 'table' }} {{ target_relation }}
    {{ '' if is_iceberg else partition_cols(label="partition") }}
    select {{ dest_cols_csv }} from {{ source_relation }}
{% endmacro %}


{% macro replace_keys_by_partition(new_rows, target, unique_key, partition_by) %}
    {#-
        Replace the stored rows of the keys in `new_rows` by those rows, on a Parquet table that
        can only overwrite whole partitions (dynamic partition overwrite). The touched partitions
        are those of the new rows and those where their keys are stored now (a key whose newer
        version has another day must leave its old partition). Each touched partition is written
        whole: the new rows in it and the stored rows of other keys in it. A touched partition
        left with no row is dropped (an overwrite without rows would leave it as it was).

        Three steps, in this order: find the touched partitions (one scan of the stored key and
        partition columns); insert overwrite them; drop the emptied ones (returned as the main
        statement). The new rows are a lazy view that reads the stored table (the watermark), so
        nothing changes the table before the insert has read them.
    -#}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set partition_columns = [partition_by] if partition_by is string else partition_by -%}
    {%- if partition_columns | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            "replace_keys_by_partition: one partition column expected, got " ~ partition_columns) }}
    {%- endif -%}
    {%- set part = partition_columns[0] -%}
    {%- set stored_matches_new -%}
        {%- for key in keys %}stored.{{ key }} = new_keys.{{ key }}{% if not loop.last %} and {% endif %}{% endfor -%}
    {%- endset -%}

    {%- set touched_sql -%}
        with new_keys as (
            select distinct {{ keys | join(', ') }} from {{ new_rows }}
        ),
        new_partitions as (
            select distinct {{ part }} as partition_value from {{ new_rows }}
        ),
        stored_partitions as (
            select
                stored.{{ part }} as partition_value,
                max(case when new_keys.{{ keys[0] }} is null then 1 else 0 end) as keeps_rows,
                max(case when new_keys.{{ keys[0] }} is null then 0 else 1 end) as loses_rows
            from {{ target }} as stored
            left join new_keys on {{ stored_matches_new }}
            group by stored.{{ part }}
        )
        select
            coalesce(new_partitions.partition_value, stored_partitions.partition_value) as partition_value,
            case when new_partitions.partition_value is null then 0 else 1 end as gets_rows,
            coalesce(stored_partitions.keeps_rows, 0) as keeps_rows
        from new_partitions
        full outer join stored_partitions
            on new_partitions.partition_value = stored_partitions.partition_value
        where new_partitions.partition_value is not null or stored_partitions.loses_rows = 1
    {%- endset -%}
    {%- set touched = run_query(touched_sql) -%}

    {%- set kept = [] -%}
    {%- set emptied = [] -%}
    {%- for row in touched.rows -%}
        {%- if row['partition_value'] is none -%}
            {{ exceptions.raise_compiler_error(
                "replace_keys_by_partition: " ~ target ~ " has rows with a null " ~ part
                ~ "; the partition column of an incremental fact must not be null") }}
        {%- endif -%}
        {%- if row['keeps_rows'] | int == 1 -%}
            {%- do kept.append(partition_literal(row['partition_value'])) -%}
        {%- elif row['gets_rows'] | int == 0 -%}
            {%- do emptied.append(partition_literal(row['partition_value'])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log(target ~ ": " ~ (touched.rows | length) ~ " partitions touched, " ~ (kept | length)
        ~ " keep stored rows, " ~ (emptied | length) ~ " emptied", info=false) }}

    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- call statement('partition_overwrite_mode') -%}
        set spark.sql.sources.partitionOverwriteMode = DYNAMIC
    {%- endcall -%}
    {%- call statement('insert_overwrite_touched_partitions') -%}
        insert overwrite table {{ target }} partition ({{ part }})
        select {{ columns }} from {{ new_rows }}
        union all
        select {{ columns }} from {{ target }} as stored
        where
            {% if kept %}stored.{{ part }} in ({{ kept | join(', ') }}){% else %}false{% endif %}
            and not exists (
                select 1 from {{ new_rows }} as new_keys where {{ stored_matches_new }}
            )
    {%- endcall -%}

    {%- if emptied -%}
        alter table {{ target }} drop if exists
        {% for value in emptied %}partition ({{ part }} = {{ value }}){% if not loop.last %}, {% endif %}{% endfor %}
    {%- else -%}
        refresh table {{ target }}
    {%- endif -%}
{% endmacro %}


{% macro partition_literal(value) %}
    {#- The SQL literal of a partition value read back from Spark: a number, a date or text. -#}
    {%- if value is number -%}
        {{ return(value | string) }}
    {%- elif value.isoformat is defined -%}
        {{ return("date'" ~ value.isoformat()[:10] ~ "'") }}
    {%- else -%}
        {{ return("'" ~ (value | string | replace("'", "\\'")) ~ "'") }}
    {%- endif -%}
{% endmacro %}
