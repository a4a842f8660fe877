"""The speech benchmark's synthetic corpus: which espeak-ng voices speak it, and what they say.

Voices come in two sets, so a wake-word model trained on espeak speech is measured on voices it
never heard:

- ``TRAINING_VOICES``: every ``TRAINING_ACCENTS`` × ``TRAINING_VARIANTS`` pair. A trainer may
  use any of them (and nothing else of espeak's English).
- ``HELD_OUT_VOICES``: accents and variants that appear in no training voice. A trainer must
  exclude them (``is_held_out``); the bench reports its headline wake figures on them.
"""

from __future__ import annotations

# espeak-ng voice names: an accent, optionally "+variant" (``glasses.speech.tts.synthesize``).
TRAINING_ACCENTS = ("en-us", "en", "en-gb-x-rp")  # espeak-ng's "en" is British English
TRAINING_VARIANTS = ("", "f1", "f2", "f3", "m1", "m2", "m3", "m4", "Alex", "klatt")
TRAINING_VOICES = tuple(
    f"{accent}+{variant}" if variant else accent
    for accent in TRAINING_ACCENTS
    for variant in TRAINING_VARIANTS
)
HELD_OUT_ACCENTS = ("en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-gbclan")
HELD_OUT_VARIANTS = ("f4", "f5", "m5", "m6", "m7", "Annie", "belinda", "steph")
HELD_OUT_VOICES = (
    "en-gb-scotland+m7",
    "en-029+f4",
    "en-us-nyc+m5",
    "en-gb-x-gbclan+f5",
    "en-gb-scotland+Annie",
    "en-029+m6",
    "en-us-nyc+belinda",
    "en-gb-x-gbclan+steph",
)
# The training voices the bench speaks in, beside all the held-out ones (the four the bench
# used before the voice sets were split, so its figures stay comparable).
BENCH_TRAINING_VOICES = ("en-us", "en-us+f3", "en", "en-us+m3")


def is_held_out(voice: str) -> bool:
    """True if ``voice`` has a held-out accent or a held-out variant (a trainer must skip it)."""
    accent, _, variant = voice.partition("+")
    return accent in HELD_OUT_ACCENTS or variant in HELD_OUT_VARIANTS
