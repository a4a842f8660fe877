"""Wake operating points side by side through the real pipeline, one listen stage per point.

``[LEAD_IN_S=2] OPS=0.8:1,0.8:2 python sweep_eval.py fa MINUTES``: false accepts on the bench's
distractor stream (one run can hold many points: only the count of wakes is read); without the
stream's look-alikes (as before 097e5c0) unless ``LOOK_ALIKES=1``.
``[LEAD_IN_S=2] OPS=0.8:2 python sweep_eval.py sets wake no_pause wake_other wake_clean``:
held-out wakes and right commands per set. Points are ``threshold:confirm_steps[:check]``
(``check``: detections confirmed by ``WakeCheck``); the first is the stage that transcribes
open speech (the others' "right" counts get no Whisper). ``VERIFY=log`` (``verify.py``) logs
each detection's stretch of audio for offline checks.
The figures in docs/speech_synthesis.md were measured one point per process, before
``speech_listen.play`` kept enough turn timelines for several listen stages.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import lead_in
import verify  # noqa: F401  (VERIFY=log|filter)

from glasses.assistant.skills import builtin_skills
from glasses.bench.speech_corpus import (
    HELD_OUT_VOICES,
    DistractorStream,
    build_corpus,
    warmup_clips,
)
from glasses.bench.speech_listen import LISTEN, play, stream_wakes
from glasses.speech.commands import phrases_from_skills
from glasses.speech.vad import SileroVad
from glasses.speech.wake import WakeSettings

phrases = tuple(phrases_from_skills(builtin_skills()))
wakes = {}
for i, op in enumerate(os.environ.get("OPS", "0.4:1").split(",")):
    thr, steps, *check = op.split(":")
    wakes[LISTEN if i == 0 else f"t{thr}x{steps}{''.join(check)}"] = WakeSettings(
        threshold=float(thr), confirm_steps=int(steps), check=check == ["check"]
    )
label = {
    n: f"{w.threshold}x{w.confirm_steps}{' checked' if w.check else ''} "
    f"lead_in_s={lead_in.LEAD_IN_S}"
    for n, w in wakes.items()
}
if sys.argv[1] == "fa":
    minutes = float(sys.argv[2])
    stream = DistractorStream(minutes, look_alikes=os.environ.get("LOOK_ALIKES") == "1")
    counts = stream_wakes(
        iter(stream), stream.samples, phrases, SileroVad(), wakes, progress=lambda s: None
    )
    for n in wakes:
        print(
            "fa", label[n], "minutes", minutes, "look-alikes", len(stream.look_alike_starts_s),
            "false accepts", len(counts[n]), "near a look-alike",
            stream.near_look_alikes(counts[n]), [round(t, 1) for t in counts[n]], flush=True,
        )  # fmt: skip
else:
    warm = warmup_clips(phrases, WakeSettings().phrase)
    corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
    for kind in sys.argv[2:]:
        session = play(corpus[kind], phrases, SileroVad(), wakes, warmup=warm, timed=False)
        for n in wakes:
            held = [
                h
                for h in session.heard[n]
                if h.clip.voice in HELD_OUT_VOICES or kind.endswith("_other")
            ]
            with_command = [h for h in held if h.clip.intent is not None]
            print(
                kind,
                label[n],
                "held",
                len(held),
                "woke",
                sum(h.woke for h in held),
                "right",
                sum(h.right for h in with_command),
                "/",
                len(with_command),
                "commands on out-of-grammar",
                sum(h.command is not None for h in held if h.clip.intent is None and h.woke),
                flush=True,
            )
