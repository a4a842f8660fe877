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
# committed seed. Its voices: espeak-ng (the wheel), Piper's joe (the piper extra, GPL-3.0: used
# for training data only, never shipped) and Flite; Festival and Flite's slt are held out for the
# figures. Shards are cached under ~/.cache/glasses/wake_train, so a rerun only trains; from an
# empty cache about an hour on 2 shared cores. Needs the train extra (torch, CPU) and root for
# apt-get (or the packages installed); never run in CI. The shipped head is still espeak-ng-only
# (models/wake/hey_glasses.json has its command: recipe 2 with --other-positives 0
# --other-negatives 0, plus the hard negatives mined from 4 h of stream that --mine-minutes now
# adds by default, which trains twice); the four-synthesiser heads are measured in
# docs/speech_synthesis.md.
WAKE_DEBS := flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
wake-model: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[train,piper]'
	@dpkg -s $(WAKE_DEBS) >/dev/null 2>&1 || apt-get install -y -qq $(WAKE_DEBS) >/dev/null \
		|| (apt-get update -qq && apt-get install -y -qq $(WAKE_DEBS) >/dev/null)
	nice -n 10 $(BIN)/python -m glasses.training.wake_word --seed 1 --out models/wake/hey_glasses.onnx

# Fuzz the link's receive path (frame parser, session, message decoders) with 1 M mutated
# frame streams; about a minute. CI runs a short hypothesis version (tests/test_link_fuzz.py).
fuzz-link: $(STAMP)
	nice -n 10 $(BIN)/python -m glasses.devices.link.fuzz --inputs 1000000

screenshots: $(STAMP)
	$(BIN)/python docs/make_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
