"""The model registry: the manifest of on-device models, their files and their checks.

``manifest.toml`` lists every model (id, task, source, sha256, licence, input spec);
:mod:`models.registry` loads it, finds the files and verifies them.
"""

from models.registry import (
    ModelEntry,
    ModelError,
    ModelFile,
    Registry,
    VerifyResult,
    default_registry,
    load_manifest,
    open_session,
    resolve,
    verify,
)

__all__ = [
    "ModelEntry",
    "ModelError",
    "ModelFile",
    "Registry",
    "VerifyResult",
    "default_registry",
    "load_manifest",
    "open_session",
    "resolve",
    "verify",
]
