"""NON_RHOTIC=1: the command grammar's decoder also gets each word's non-rhotic pronunciations
(an R after a vowel and before a consonant or the end dropped: "start" S T AA R T → S T AA T;
an ER after the first vowel with no vowel after it → AH: "timer" → T AY M AH), as alternatives
(start(2)). Imported by start_stop.py and ptt_errors.py; measured at f5163ea, not shipped."""
import os

from glasses.speech import _sphinx

VOWELS = set("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())


def non_rhotic(phones):
    old, new, seen_vowel = phones.split(), [], False
    for i, phone in enumerate(old):
        rest = old[i + 1 :]
        if phone == "R" and new and new[-1] in VOWELS and not (rest and rest[0] in VOWELS):
            continue
        if phone == "ER" and seen_vowel and not any(p in VOWELS for p in rest):
            phone = "AH"
        seen_vowel = seen_vowel or phone in VOWELS
        new.append(phone)
    return " ".join(new)


if os.environ.get("NON_RHOTIC") == "1":
    _entries = _sphinx.Lexicon.entries

    def entries(self, words):
        found = _entries(self, words)
        for word, lines in found.items():
            prons = [line.split(" ", 1)[1] for line in lines]
            extra = [v for v in dict.fromkeys(non_rhotic(p) for p in prons) if v not in prons]
            lines += [f"{word}({len(prons) + 1 + i}) {v}" for i, v in enumerate(extra)]
        return found

    _sphinx.Lexicon.entries = entries
