"""Settings a library function takes as one value: typed, validated, frozen.

Each params.yaml section is one such spec (SampleSpec, TrainSpec, ...), so a section's keys,
types and ranges are written once, beside the code that uses them; `ich.pipeline.params`
validates a section into its spec and names the key and value of the first problem.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Spec(BaseModel):
    # strict: "64" is no number and 1 is not `true`; forbid: a misspelt key is an error, not
    # silently ignored; frozen: a spec is a value, hashable, never edited in place
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


Fraction = Annotated[float, Field(ge=0, le=1)]
OpenFraction = Annotated[float, Field(gt=0, lt=1)]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(ge=1)]
