"""Application wiring shared by the simulator, the webcam demo and the harness."""

from glasses.app.pipeline import AssistantPipeline, build_pipeline

__all__ = ["AssistantPipeline", "build_pipeline"]
