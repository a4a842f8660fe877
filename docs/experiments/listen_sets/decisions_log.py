"""Per clip: every grammar decision on a command cut (early commit or end), with the plan.

``python docs/experiments/listen_sets/decisions_log.py oog_wake:wake wake:wake
command:push_to_talk``: plays each set (kind:mode) through VAD → listen → skills and pickles,
per clip, what it was, what the stage made of it (intents, transcripts) and each grammar
decision (cut kind, hypothesis, margin, accepted) to ``$OUT/decisions_<kind>_<mode>.pkl``
(``OUT`` default /tmp), which ``agree_eval.py`` reads."""
import os, sys, pickle
from glasses.assistant.skills import builtin_skills
from glasses.speech.commands import phrases_from_skills
from glasses.speech.wake import WakeSettings
from glasses.speech.vad import SileroVad
from glasses.speech.listen_stage import ListenStage
from glasses.bench.speech_listen import play, LISTEN, Timeline
from glasses.bench.speech_corpus import build_corpus, warmup_clips, HELD_OUT_VOICES
log = []
orig_early = ListenStage._commits_early
async def early(self, work, plan, result, ctx):
    ok = await orig_early(self, work, plan, result, ctx)
    log.append((work.utterance.started_t_ns, "early", plan.paused, plan.cut, plan.timed_cut, result.intent, result.hypothesis, result.margin, result.rejected, ok))
    return ok
ListenStage._commits_early = early
orig_cmd = ListenStage._command
async def command(self, work, cut, ctx, *, same_utterance=False, plan=None):
    await orig_cmd(self, work, cut, ctx, same_utterance=same_utterance, plan=plan)
    result = await self._recognition(work, cut, ctx)
    ok = plan is None or await self._accepted(work, plan, result, ctx)
    log.append((work.utterance.started_t_ns, "end", plan and plan.paused, cut, plan and plan.timed_cut, result.intent, result.hypothesis, result.margin, result.rejected, ok and result.intent is not None))
ListenStage._command = command
phrases = tuple(phrases_from_skills(builtin_skills()))
warm = warmup_clips(phrases, WakeSettings().phrase)
corpus = build_corpus(phrases, WakeSettings().phrase, progress=lambda s: None)
for arg in sys.argv[1:]:
    kind, mode = arg.split(":")
    clips = corpus[kind]
    s = play(clips, phrases, SileroVad(), {LISTEN: WakeSettings()}, mode=mode, warmup=warm, timed=False)
    tl = Timeline.lay_out(clips, warm)
    per = {}
    for entry in log:
        i = tl.owner(entry[0])
        if i is not None:
            per.setdefault(i, []).append(entry[1:])
    log.clear()
    rows = []
    for i, h in enumerate(s.heard[LISTEN]):
        rows.append(dict(text=h.clip.text, voice=h.clip.voice, held=h.clip.voice in HELD_OUT_VOICES, intent=h.clip.intent,
                         woke=h.woke, command=h.command, intents=h.intents, transcripts=h.transcripts, decisions=per.get(i, [])))
    pickle.dump(rows, open(f"{os.environ.get('OUT', '/tmp')}/decisions_{kind}_{mode}.pkl", "wb"))
    print(arg, "right", sum(h.right for h in s.heard[LISTEN]), len(clips), flush=True)
