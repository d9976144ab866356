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

# Real head CT: CT-ICH imported, the recipe chosen on it cross-validated, and its final model
# fit on every patient -> the bundle models/real-ct/ (`python -m ich predict DICOMS --model
# models/real-ct`). CT_ICH: the download (JPG or NIfTI edition); RECIPE: the kfold/bundle
# options of the recipe (the density model on HU features: it beat every network recipe in
# cross-validation, docs/real-ct.md; empty and `-S key=value ...`: the slice CNN); SEEDS: one
# CNN per seed. 45 s on 2 cores with the density model, once the environment exists.
CT_ICH ?= ../shared/data/ct-ich
REAL_CT := data/real-ct
RECIPE ?= --features-model density
SEEDS ?= 1
real-ct: setup
	python -m ich import ct-ich $(CT_ICH) --out $(REAL_CT)/import
	python -m ich workspace $(REAL_CT)/workspace --data $(REAL_CT)/import
	python -m ich kfold $(REAL_CT)/workspace --name chosen $(RECIPE) --out models/real-ct.cv
	python -m ich bundle $(REAL_CT)/workspace --out models/real-ct $(RECIPE) --seeds $(SEEDS) \
		--cv models/real-ct.cv/chosen.json
	rm -rf models/real-ct/cv && mv models/real-ct.cv models/real-ct/cv

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
