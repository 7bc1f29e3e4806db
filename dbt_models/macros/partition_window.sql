{% macro partition_window() %}
    {#-
        The day window of a partitioned (backfill) run: the vars partition_start (first local
        day, inclusive) and partition_end (exclusive), ISO dates, both set or neither. None
        when they are not set (a normal incremental run or a full refresh).
    -#}
    {%- set start = (var('partition_start', '') or '') | string | trim -%}
    {%- set end = (var('partition_end', '') or '') | string | trim -%}
    {%- if start == '' and end == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- for value in (start, end) -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
            {{ exceptions.raise_compiler_error(
                "vars partition_start and partition_end must both be ISO dates (YYYY-MM-DD), got '"
                ~ start ~ "' and '" ~ end ~ "'"
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if start >= end -%}
        {{ exceptions.raise_compiler_error(
            "var partition_start (" ~ start ~ ") must be before partition_end (" ~ end ~ ")"
        ) }}
    {%- endif -%}
    {{ return({'start': start, 'end': end}) }}
{%- endmacro %}


{% macro in_partition_window(date_expression) %}
    {#- The local date `date_expression` lies in the partition window (partition_window()). -#}
    {%- set window = partition_window() -%}
    ({{ date_expression }} >= cast('{{ window.start }}' as date)
        and {{ date_expression }} < cast('{{ window.end }}' as date))
{%- endmacro %}


{% macro fact_source_filter() %}
    {#-
        The raw rows an incremental fact model reads. A normal incremental run: the files
        ingested since the last run (_file_id above the highest stored). A partitioned run:
        every file up to that watermark, so the rebuilt keys get their latest version across
        all files the table has seen, and files not yet built stay for the next incremental
        run. A full refresh or the first build: everything (no filter).
    -#}
    {%- if is_incremental() and partition_window() is not none -%}
        where _file_id <= (select coalesce(max(_file_id), -1) from {{ this }})
    {%- elif is_incremental() -%}
        where _file_id > (select coalesce(max(_file_id), -1) from {{ this }})
    {%- endif -%}
{%- endmacro %}


{% macro is_partition_run() %}
    {#- An incremental run of a fact model restricted to the partition window. -#}
    {{ return(is_incremental() and partition_window() is not none) }}
{%- endmacro %}
