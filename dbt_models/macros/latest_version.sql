{% macro latest_version(key_columns) %}
    {#-
        Keep the version of each primary key that counts: the one ingested last, by file
        (`_file_id`, higher = later) and then by line within the file. Use as a qualify clause.
    -#}
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _file_id desc, _source_line desc
    ) = 1
{%- endmacro %}
