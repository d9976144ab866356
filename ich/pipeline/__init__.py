"""What the DVC stages share: params, artifact paths, the stage runner, code dependencies."""
