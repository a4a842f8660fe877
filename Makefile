# One command each: `make sim` (set up, then run the demo scenario) and `make test`.
# Setup is a local virtual environment in .venv, rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup sim test lint typecheck pytest bench screenshots clean wake-model fuzz-link

setup: $(STAMP)

# silero-vad is installed for its ONNX model file only, with --no-deps: its declared deps
# (torch, packaging) serve its Python API, which we never import, and pyproject.toml cannot
# say --no-deps. Likewise the DejaVu TrueType fonts of the generated OCR set
# (simulator/ocr_set.py): the rinoh-typeface wheels ship the TTFs, and their declared dep
# rinohtype (a document processor pulling docutils and myst-parser) is never imported.
# Real read speech for the dictation WER (glasses/bench/real_speech.py and its tests) is a
# Debian package, not a wheel: PocketSphinx's test data (LibriVox clips with transcripts).
# Installed where apt-get can run as root (CI does); elsewhere the line says how.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps 'silero-vad==6.2.3'
	$(BIN)/python -m pip install --quiet --no-deps 'rinoh-typeface-dejavusans==0.1.0' \
		'rinoh-typeface-dejavuserif==0.1.3' 'rinoh-typeface-dejavusansmono==0.1.0'
	@dpkg -s pocketsphinx-testdata >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
		&& (apt-get install -y -qq pocketsphinx-testdata >/dev/null 2>&1 \
			|| (apt-get update -qq && apt-get install -y -qq pocketsphinx-testdata >/dev/null)) \
		|| echo "make setup: real-speech corpus missing; run: sudo apt-get install pocketsphinx-testdata"; }
	@touch $(STAMP)

sim: $(STAMP)
	$(BIN)/glasses sim

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/glasses bench runtime
	$(BIN)/glasses bench hud

# Retrain the "hey glasses" head (models/wake/hey_glasses.onnx and its .json record) from the
# committed seed: two member heads, averaged into one file (glasses.training.wake_ensemble).
# Member 1 hears espeak-ng only; member 2 also Piper's joe (the piper extra, GPL-3.0: used for
# training data only, never shipped) and four Flite voices; Festival and Flite's slt are held
# out for the figures. Each member mines hard negatives from 4 h of distractor stream
# (--mine-minutes, default), so each trains twice. Shards are cached under
# ~/.cache/glasses/wake_train, so a rerun only trains (about 15 min per member on 2 shared
# cores); from an empty cache about two hours. Needs the train extra (torch, CPU) and root for
# apt-get (or the packages installed); never run in CI. Why two heads, and their figures:
# docs/speech_synthesis.md, "Two heads averaged".
WAKE_DEBS := flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
WAKE_BUILD := build/wake
wake-model: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[train,piper]'
	@dpkg -s $(WAKE_DEBS) >/dev/null 2>&1 || apt-get install -y -qq $(WAKE_DEBS) >/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq $(WAKE_DEBS) >/dev/null)
	nice -n 10 $(BIN)/python -m glasses.training.wake_word --seed 1 \
		--other-positives 0 --other-negatives 0 --out $(WAKE_BUILD)/espeak.onnx
	nice -n 10 $(BIN)/python -m glasses.training.wake_word --seed 1 --out $(WAKE_BUILD)/synths.onnx
	$(BIN)/python -m glasses.training.wake_ensemble --out models/wake/hey_glasses.onnx \
		$(WAKE_BUILD)/espeak.onnx $(WAKE_BUILD)/synths.onnx

# Fuzz the link's receive path (frame parser, session, message decoders) with 1 M mutated
# frame streams; about a minute. CI runs a short hypothesis version (tests/test_link_fuzz.py).
fuzz-link: $(STAMP)
	nice -n 10 $(BIN)/python -m glasses.devices.link.fuzz --inputs 1000000

screenshots: $(STAMP)
	$(BIN)/python docs/make_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
