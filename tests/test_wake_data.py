"""The wake word's training data (``glasses.training.wake_data``): espeak-ng speech with word
timings, a pure function of its arguments, so that ``make wake-model`` can be made again."""

from __future__ import annotations

import numpy as np

from glasses.speech.tts import synthesize_16k
from glasses.training.wake_data import engine, phrase_end


def test_a_clip_is_the_same_whatever_was_spoken_before() -> None:
    # The engine of recipe 2 kept espeak-ng's state from clip to clip and seeded its breath
    # noise ("+f3") from the clock: this pair differed by up to 19,766 in a sample.
    espeak = engine()
    first = espeak.speak("hey glasses read this", "en-us+f3", 160, 50)
    espeak.speak("the quick brown fox jumps over the lazy dog", "en-gb-x-rp+m2", 200, 30)
    again = espeak.speak("hey glasses read this", "en-us+f3", 160, 50)
    assert np.array_equal(first.samples, again.samples)
    assert first.word_starts == again.word_starts and first.word_chars == again.word_chars


def test_word_starts_are_the_runtimes_speech_and_end_the_phrase() -> None:
    text = "hey glasses read this"
    spoken = engine().speak(text, "en-us", 160, 50)
    # The runtime's synthesis of the same arguments: the same samples.
    assert np.array_equal(spoken.samples, synthesize_16k(text, voice="en-us", rate_wpm=160))
    assert spoken.word_chars == (0, 4, 12, 17)
    starts = spoken.word_starts
    assert list(starts) == sorted(starts) and 0 <= starts[0] < starts[-1] < len(spoken.samples)
    # "glasses" ends where "read" starts.
    assert phrase_end(spoken, text) == starts[2]
