"""Every file and folder the stages pass between them, named once.

`dvc.yaml` spells the same paths; `tests/test_dvc_yaml.py` fails when a stage's deps and outs
there differ from the paths its module uses here. The data params (`data.labels_csv`,
`data.dicom_dir`, and `data.raw` for an import) are the only paths that come from params.yaml.
"""

from pathlib import Path

PARAMS = Path("params.yaml")

# inputs: the files params name (data.raw, train.init, train.weights), fingerprinted by content;
# read by no module, declared as deps so that replacing a file in place reruns what reads it
INPUTS = Path("data/inputs")
RAW_INPUTS = INPUTS / "raw.json"  # data.raw: the source stage's download (ct-ich)
TRAIN_INPUTS = INPUTS / "train.json"  # train.init, train.weights: what training starts from
FINGERPRINTS = {"source": RAW_INPUTS, "train": TRAIN_INPUTS}  # stage -> its fingerprint

# source: the labelled data in the RSNA layout, synthesized (phantom) or imported (ct-ich); what
# the data params point at unless `data.source` is rsna (read in place)
SOURCE = Path("data/source")
SOURCE_SAMPLES = Path("plots/source_samples.png")  # montage

# labels: one row per image
LABELS = Path("data/labels.csv")

# manifest: name, size and stamp of each labelled DICOM (rescanned on every run)
MANIFEST = Path("data/manifest.csv")

# decode: HU codes summed on the base grid, by row, and which rows hold which slice
DECODED = Path("data/decoded")
CODES = DECODED / "codes.npy"
AREAS = DECODED / "areas.npy"  # codes per stored value, by row (0: rejected)
INDEX = DECODED / "index.csv"
REJECTED = DECODED / "rejected.csv"

# extract: the memory-mappable model images (same rows) and what they are
EXTRACTED = Path("data/extracted")
IMAGES = EXTRACTED / "images.npy"
PREPROCESSING = EXTRACTED / "preprocessing.json"

# hu_features: what a radiologist reads off each slice in HU (ich.data.hu_features), by row
HU_FEATURES_DIR = Path("data/hu_features")
HU_FEATURES = HU_FEATURES_DIR / "features.npy"
HU_FEATURES_INFO = HU_FEATURES_DIR / "features.json"  # the columns and their version

# sample: train.csv, val.csv, holdout.csv
SPLITS = Path("data/splits")

# train: the slice model, model.keras and the preprocessing.json (its card) that travels with it
SLICE_MODELS = Path("models/slice")
SLICE_MODEL = SLICE_MODELS / "model.keras"
SLICE_CARD = SLICE_MODELS / "preprocessing.json"
# its per-epoch backup while training (ich.model.resume), removed when train completes. Not a
# DVC output on purpose: DVC deletes a stage's outputs before rerunning it, and the rerun of a
# killed train is what needs the backup.
SLICE_BACKUP = Path("models/slice.partial")
TRAIN_PLOTS = Path("plots/train")

# embed: the slice model's features and raw probabilities, by array row (as images.npy)
EMBEDDINGS = Path("data/embeddings")
FEATURES = EMBEDDINGS / "features.npy"
SLICE_PROBS = EMBEDDINGS / "slice_probs.npy"
EMBED_SETTINGS = EMBEDDINGS / "settings.json"  # how they were computed (predict repeats it)

# explain: where the slice model finds its evidence on holdout slices
SALIENCY = Path("plots/explain/saliency.png")

# sequence: the series-level model on those features, and its card
SEQUENCE_MODELS = Path("models/sequence")
SEQUENCE_MODEL = SEQUENCE_MODELS / "model.keras"
SEQUENCE_CARD = SEQUENCE_MODELS / "card.json"
SEQUENCE_PLOTS = Path("plots/sequence")
SERIES_PROBS = Path("data/sequence/probs.npy")  # its probabilities for every slice, by array row
SEQUENCE_PROVENANCE = Path("data/sequence/provenance.csv")  # the slices it learned and stopped on

# evaluate
PREDICTIONS = Path("data/predictions")  # holdout.csv, and density.json: the baseline it fit
HOLDOUT_PLOTS = Path("plots/holdout")

# bundle: both models in one folder, what `predict --model` reads and `dvc artifacts get` fetches
BUNDLE = Path("models/bundle")

# the real-CT cross-validation (real-ct/dvc.yaml, whose stages run in that folder): REAL_CT is
# that folder, the paths below are inside it
REAL_CT = Path("real-ct")
CV = Path("data/cv")
FOLDS = CV / "folds.csv"  # folds: PatientID -> fold
# fold_fit: fold_<k>.csv (the fold's slices, every seed's out-of-fold probabilities) and
# fold_<k>.json (the patients that stopped each seed's model)
CV_FITS = CV / "fits"
REAL_CT_BUNDLE = Path("models/real-ct")  # cv_bundle: what `predict --model` reads

# Work folders stages use that DVC must not know (tests/test_dvc_yaml.py leaves them out)
UNTRACKED = {SLICE_BACKUP}

# Headline metrics (what `dvc exp show` and `dvc metrics diff` show) and each stage's full report.
METRICS = Path("metrics")
TRAIN_METRICS = METRICS / "train.json"
SEQUENCE_METRICS = METRICS / "sequence.json"
HOLDOUT_METRICS = METRICS / "holdout.json"
REPORTS = Path("reports")
SOURCE_REPORT = REPORTS / "source.json"
LABELS_REPORT = REPORTS / "labels.json"
DECODE_REPORT = REPORTS / "decode.json"
# where decode ran (numpy, SIMD, BLAS core): git-ignored and undeclared, as it differs by machine
DECODE_MACHINE = REPORTS / "decode.machine.json"
EXTRACT_REPORT = REPORTS / "extract.json"
HU_FEATURES_REPORT = REPORTS / "hu_features.json"
SAMPLE_REPORT = REPORTS / "sample.json"
TRAIN_REPORT = REPORTS / "train.json"
EMBED_REPORT = REPORTS / "embed.json"
SEQUENCE_REPORT = REPORTS / "sequence.json"
HOLDOUT_REPORT = REPORTS / "holdout.json"
CV_METRICS = METRICS / "cv.json"  # cv: the pooled out-of-fold headline, beside the density's
CV_REPORT = REPORTS / "cv.json"
CV_OOF = REPORTS / "cv_oof.csv.gz"  # every slice's out-of-fold probabilities, every seed
