{% macro is_suppressed(null_reason_column) %}
    {#-
        Whether a value is withheld for privacy (kpis.md, Privacy; the reasons fct_hr_kpis gives):
        nothing of it is published, not even a count.
    -#}
    coalesce({{ null_reason_column }} in ('group below 5', 'complementary suppression'), false)
{%- endmacro %}
