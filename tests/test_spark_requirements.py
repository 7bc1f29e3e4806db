"""The Spark tests say why Spark cannot start instead of skipping (tests/dbt_fixtures/spark.py)."""

from __future__ import annotations

import importlib.util

from tests.dbt_fixtures import spark


def test_a_machine_without_java_is_named_as_the_reason(monkeypatch):
    monkeypatch.setattr(spark.shutil, "which", lambda name: None)
    reason = spark.spark_unavailable_reason()
    assert reason is not None
    assert "no `java` on PATH" in reason
    assert "openjdk-17-jre-headless" in reason


def test_an_environment_without_pyspark_is_named_as_the_reason(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        spark.importlib.util, "find_spec", lambda name: None if name == "pyspark" else real_find_spec(name)
    )
    reason = spark.spark_unavailable_reason()
    assert reason is not None
    assert reason.startswith("pyspark is not installed")


def test_this_machine_can_start_spark():
    # make setup installs pyspark and Java 17, so on a set-up machine nothing stands in the way.
    assert spark.spark_unavailable_reason() is None
