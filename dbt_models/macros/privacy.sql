{% macro suppression_reasons() %}
    {#- The null reasons of an HR value withheld for privacy (kpis.md, Privacy; fct_hr_kpis). -#}
    {{ return(['group below 5', 'complementary suppression']) }}
{%- endmacro %}


{% macro is_suppressed(null_reason_column) %}
    {#- Whether a value is withheld for privacy: nothing of it is published, not even a count. -#}
    coalesce({{ null_reason_column }} in ('{{ suppression_reasons() | join("', '") }}'), false)
{%- endmacro %}
