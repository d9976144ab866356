"""Stage `inputs` (runs every time): the files the params name, fingerprinted by content ->
data/inputs/raw.json (data.raw, the download the source stage imports) and data/inputs/train.json
(train.init and train.weights, what training starts from). DVC tracks a param's value, not the
file it names: these small files are what makes replacing one in place rerun its reader."""

from __future__ import annotations

from ich.files import write_json
from ich.pipeline import params, paths
from ich.pipeline.inputs import fingerprint
from ich.pipeline.stage import run


def main() -> None:
    p = params.load()
    raw = params.get(p, "data.raw") if params.get(p, "data.source") == "ct-ich" else None
    write_json(paths.RAW_INPUTS, {"data.raw": fingerprint(raw)})
    starts = {key: fingerprint(params.get(p, key)) for key in ("train.init", "train.weights")}
    write_json(paths.TRAIN_INPUTS, starts)
    named = [key for key, value in {"data.raw": raw, **starts}.items() if value]
    print(f"inputs: {', '.join(named) if named else 'no file named by the params'} fingerprinted")


if __name__ == "__main__":
    run(main)
