"""`kcfg smoke --junit` reports validate against the schemas CI systems read them with (tests/data/junit/)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from kcfg.cli.smoke import junit_xml

from .conftest import REPO

keras = pytest.importorskip("keras")

from kcfg.run import smoke  # noqa: E402

SCHEMAS = sorted((Path(__file__).parent / "data" / "junit").glob("*.xsd"))


@pytest.mark.parametrize("xsd", SCHEMAS, ids=lambda p: p.stem)
def test_junit_report_of_a_passing_and_a_failing_recipe_validates(xsd: Path, write) -> None:
    broken = write("broken.yaml", "model:\n  inputs: {x: [8]}\n  layers:\n    r: {type: Reshape, target_shape: [3, 3]}\n")
    results = [smoke(REPO / "recipes" / "mnist_mlp.yaml"), smoke(broken)]
    report = etree.fromstring(junit_xml(results, datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)))
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    assert schema.validate(report), schema.error_log
    assert report.get("skipped") == "0" and report.get("failures") == "1"
    assert report.find("properties/property").attrib == {"name": "timestamp", "value": "2026-11-24T12:00:00+00:00"}
    failure = report.find("testcase[2]/failure")
    assert failure.get("type") == "kcfg.smoke" and "model.layers.r" in failure.get("message")


def test_both_schemas_are_shipped() -> None:
    assert [p.name for p in SCHEMAS] == ["jenkins-junit-10.xsd", "surefire-test-report-3.0.xsd"]
