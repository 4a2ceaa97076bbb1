"""The district's organisation and duty roster as files: load, validate (located errors), dump, write."""

from infra.district.dump import dump_organisation, write_organisation
from infra.district.errors import DistrictDataError, Problem
from infra.district.loader import SAMPLE_DIR, build_organisation, load_organisation, parse_organisation

__all__ = [
    "SAMPLE_DIR",
    "DistrictDataError",
    "Problem",
    "build_organisation",
    "dump_organisation",
    "load_organisation",
    "parse_organisation",
    "write_organisation",
]
