"""Application wiring shared by the simulator, the webcam demo and the harness."""

from glasses.app.live import (
    LiveConfig,
    LiveStarted,
    LiveSummary,
    StageLatency,
    run_live,
)
from glasses.app.pipeline import AssistantPipeline, build_pipeline
from glasses.app.session import Session

__all__ = [
    "AssistantPipeline",
    "LiveConfig",
    "LiveStarted",
    "LiveSummary",
    "Session",
    "StageLatency",
    "build_pipeline",
    "run_live",
]
