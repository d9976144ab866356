# The front door. `make repro` sets everything up and runs the pipeline; `make test` runs the
# tests. Both create .venv from the pinned requirements.lock on first use.
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export PYTHONPATH := $(CURDIR)

.PHONY: setup repro exps real-ct test test-fast lint deps docs compare predict montage bench-extract bench-synthesize bench-train bench-window-at bench-fuzz bench-predict bench-decode bench-predict-speed bench-loader clean

$(VENV)/.installed: requirements.lock
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	touch $@

setup: $(VENV)/.installed

repro: setup
	dvc repro
	python -m ich summary

# the experiments at a glance: the params that differ and the headline metrics
exps: setup
	python -m ich exps

# Real head CT: the real-CT pipeline (real-ct/dvc.yaml, docs/real-ct.md) on CT-ICH: imported,
# decoded, the recipe of real-ct/params.yaml cross-validated on five patient folds beside the
# density baseline (real-ct/metrics/cv.json), then fit on every patient -> models/real-ct/
# (`python -m ich predict DICOMS --model models/real-ct`). CT_ICH: the download's folder (JPG or
# NIfTI edition), copied into real-ct/data/raw/ct-ich once; later runs need no CT_ICH. About
# 1.5 min on 2 cores with the density model (the default recipe), once the environment exists.
CT_ICH ?=
CT_ICH_URL := https://doi.org/10.13026/w8q8-ky94
REAL_CT_RAW := real-ct/data/raw/ct-ich
real-ct: setup
	@if [ -n "$(CT_ICH)" ]; then \
		test -d "$(CT_ICH)" || { echo "make real-ct: CT_ICH=$(CT_ICH): no such folder" >&2; exit 2; }; \
		rm -rf $(REAL_CT_RAW) && mkdir -p $(dir $(REAL_CT_RAW)) && cp -r "$(CT_ICH)" $(REAL_CT_RAW); \
	elif [ ! -d $(REAL_CT_RAW) ]; then \
		echo "make real-ct needs the CT-ICH download (PhysioNet, CC BY 4.0: $(CT_ICH_URL))." >&2; \
		echo "Download it, then: make real-ct CT_ICH=<the download's folder>" >&2; exit 2; \
	fi
	dvc repro real-ct/dvc.yaml
	rm -rf models/real-ct && mkdir -p models && cp -r real-ct/models/real-ct models/real-ct
	@echo "real-ct: cross-validated: real-ct/metrics/cv.json; bundle: models/real-ct"

# Everything under the default backend, then the model, training and predict tests under JAX as well,
# with two CPU devices for the data-parallel test.
JAX_TESTS := tests/test_models.py tests/test_backends.py tests/test_sequence.py \
	tests/test_resume.py tests/test_distribution.py tests/test_predict.py
JAX_ONLY := trains_a_step or bytes_are_stable or mixed_precision or learns_what or killed_run \
	or data_parallel_splits or sample_submission_order
test: setup
	python -m pytest -q -rs
	KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \
		python -m pytest -q -rs -m "not slow" $(JAX_TESTS) -k "$(JAX_ONLY)"

test-fast: setup
	python -m pytest -q -m "not slow"

lint: setup
	ruff check . && ruff format --check . && python -m ich deps

# after adding or moving an import: regenerate the stages' code deps in dvc.yaml
deps: setup
	python -m ich deps --write

compare: setup
	python -m ich compare

predict: setup
	python -m ich predict data/source/stage_2_test \
		--sample-submission data/source/stage_2_sample_submission.csv --out submission.csv \
		--studies submission_studies.csv

# the phantom beside a real series (REAL_DICOMS: a folder of one series' .dcm files)
REAL_DICOMS ?= ../shared/fixtures/rsna_stage2_test_series
montage: setup
	ICH_REAL_DICOMS=$(REAL_DICOMS) python -m ich montage

# the figures the docs quote, rewritten from the committed outputs (after `dvc repro`)
docs: setup
	python -m ich docs

bench-extract: setup
	python benchmarks/extract_throughput.py

bench-synthesize: setup
	python benchmarks/synthesize_speed.py

bench-train: setup
	python benchmarks/train_throughput.py

bench-window-at: setup
	python benchmarks/window_at.py

bench-fuzz: setup
	python benchmarks/fuzz.py

bench-predict: setup
	python benchmarks/predict_memory.py

bench-predict-speed: setup
	python benchmarks/predict_speed.py

bench-loader: setup
	python benchmarks/loader_throughput.py --rounds 5

bench-decode: setup
	python benchmarks/decode_once.py --bases 256,128

clean:
	rm -rf $(VENV)
