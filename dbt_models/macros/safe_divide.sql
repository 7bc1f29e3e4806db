{% macro safe_divide(numerator, denominator) %}
    {#- numerator / denominator, or null when the denominator is 0 or null (never 0 for "no data"). -#}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as double) / {{ denominator }}
    end
{%- endmacro %}
