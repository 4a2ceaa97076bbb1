"""The API as `tocsin run` serves it: `uvicorn tocsin.api_factory:create --factory`.

The composition root above `api`: it gives the app what `api` may not build itself, the drill scenario
catalog over `drills` (docs/adr/0018).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from infra.settings import Settings
from playbooks import load_library
from tocsin.drill_catalog import FileScenarioCatalog


def create(settings: Settings | None = None) -> FastAPI:
    """The API for the deployment `settings` (default: from the environment), with the scenario catalog."""
    config = settings or Settings()
    library = load_library(config.playbook_dir, selections={"food_safety": config.grading_family})
    return create_app(config, playbook_library=library, scenarios=FileScenarioCatalog(library))
